import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDataDir, legacyDataDirs, openDataDir } from '../../../src-main/core/app/data-dir';
import { DeployHistory } from '../../../src-main/core/deploy/history';
import { JobIndex } from '../../../src-main/core/jobs/job-index';
import { SettingsStore } from '../../../src-main/core/settings/settings';

const made: string[] = [];
function tempHome(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-data-folder-'));
  made.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

const deployLine = (id: string, startedAt: number) =>
  JSON.stringify({ t: 'end', record: { id, jobId: `j-${id}`, who: 't@t', root: '/h', mode: 'switch', targets: ['moonlight'], startedAt, status: 'succeeded', outcomes: [], logFile: '/dev/null' } });
const jobLine = (id: string, startedAt: number) => JSON.stringify({ id, kind: 'deploy', title: id, targets: [], status: 'succeeded', startedAt, logFile: '/dev/null' });

describe('one data folder', () => {
  it('is the XDG data folder, $FLEET_DATA_DIR overriding it', () => {
    expect(defaultDataDir({ HOME: '/home/ada' })).toBe('/home/ada/.local/share/homelab-fleet');
    expect(defaultDataDir({ HOME: '/home/ada', XDG_DATA_HOME: '/data/ada' })).toBe('/data/ada/homelab-fleet');
    expect(defaultDataDir({ HOME: '/home/ada', XDG_DATA_HOME: 'relative' })).toBe('/home/ada/.local/share/homelab-fleet');
    expect(defaultDataDir({ HOME: '/home/ada', FLEET_DATA_DIR: '/srv/fleet' })).toBe('/srv/fleet');
    expect(legacyDataDirs({ HOME: '/home/ada' }, 'linux')).toContain('/home/ada/.config/homelab-fleet');
  });

  it('takes in the desktop app\'s and the old CLI\'s data once, without loss', () => {
    const home = tempHome();
    const env = { HOME: home };
    const electron = path.join(home, '.config', 'homelab-fleet');
    const target = defaultDataDir(env);
    // The desktop app's folder: its data beside Chromium's own files.
    write(path.join(electron, 'settings.json'), JSON.stringify({ version: 1, recent: ['/desk/lab', '/both/lab'], theme: 'dark', layoutRoots: { '/desk/lab': 'nix' } }));
    write(path.join(electron, 'deploys.jsonl'), deployLine('d-desk', 1) + '\n');
    write(path.join(electron, 'jobs.jsonl'), jobLine('j-desk', 1) + '\n');
    write(path.join(electron, 'logs', 'j-desk.log'), 'desktop log\n');
    write(path.join(electron, 'known_hosts'), 'moonlight ssh-ed25519 AAAAdesk\nshared ssh-ed25519 AAAAsame\n');
    write(path.join(electron, 'android', 'known_hosts.json'), '{"a":1}');
    write(path.join(electron, 'Local Storage', 'leveldb', 'x'), 'chromium');
    // The CLI's folder already in use: the same names, other content.
    write(path.join(target, 'settings.json'), JSON.stringify({ version: 1, recent: ['/cli/lab', '/both/lab'], theme: 'light', layoutRoots: { '/cli/lab': 'src' } }));
    write(path.join(target, 'deploys.jsonl'), deployLine('d-cli', 2) + '\n');
    write(path.join(target, 'jobs.jsonl'), jobLine('j-cli', 2) + '\n');
    write(path.join(target, 'logs', 'j-cli.log'), 'cli log\n');
    write(path.join(target, 'known_hosts'), 'shared ssh-ed25519 AAAAsame\n');
    write(path.join(target, 'android', 'known_hosts.json'), '{"b":2}');

    const { dataDir, moved } = openDataDir(env);
    expect(dataDir).toBe(target);
    expect(moved).toEqual([electron]);

    const settings = new SettingsStore(target).get();
    expect(settings.theme).toBe('light');
    expect(settings.recent).toEqual(['/cli/lab', '/both/lab', '/desk/lab']);
    expect(settings.layoutRoots).toEqual({ '/desk/lab': 'nix', '/cli/lab': 'src' });
    expect(new DeployHistory(target).list().map((r) => r.id)).toEqual(['d-cli', 'd-desk']);
    expect(new JobIndex(path.join(target, 'jobs.jsonl')).load().map((j) => j.id).sort()).toEqual(['j-cli', 'j-desk']);
    expect(fs.readFileSync(path.join(target, 'logs', 'j-desk.log'), 'utf8')).toBe('desktop log\n');
    expect(fs.readFileSync(path.join(target, 'logs', 'j-cli.log'), 'utf8')).toBe('cli log\n');
    expect(fs.readFileSync(path.join(target, 'known_hosts'), 'utf8')).toBe('shared ssh-ed25519 AAAAsame\nmoonlight ssh-ed25519 AAAAdesk\n');
    // A file both hold that cannot be merged is kept aside, not dropped.
    expect(fs.readFileSync(path.join(target, 'android', 'known_hosts.json'), 'utf8')).toBe('{"b":2}');
    expect(fs.readFileSync(path.join(target, 'moved-from', '1', 'android', 'known_hosts.json'), 'utf8')).toBe('{"a":1}');
    // Chromium's files stay where Electron wants them; ours are gone from there.
    expect(fs.existsSync(path.join(electron, 'Local Storage', 'leveldb', 'x'))).toBe(true);
    expect(fs.existsSync(path.join(electron, 'deploys.jsonl'))).toBe(false);
    expect(fs.readFileSync(path.join(electron, 'MOVED.txt'), 'utf8')).toContain(target);

    // Once: a second start moves nothing and changes nothing.
    const before = fs.readFileSync(path.join(target, 'deploys.jsonl'), 'utf8');
    expect(openDataDir(env).moved).toEqual([]);
    expect(fs.readFileSync(path.join(target, 'deploys.jsonl'), 'utf8')).toBe(before);
  });

  it('moves a folder into an empty data folder as it is; with $FLEET_DATA_DIR nothing moves', () => {
    const home = tempHome();
    const electron = path.join(home, '.config', 'homelab-fleet');
    write(path.join(electron, 'deploys.jsonl'), deployLine('d-only', 1) + '\n');
    const custom = path.join(home, 'custom');
    expect(openDataDir({ HOME: home, FLEET_DATA_DIR: custom }).moved).toEqual([]);
    expect(fs.existsSync(path.join(electron, 'deploys.jsonl'))).toBe(true);
    const { dataDir } = openDataDir({ HOME: home }, [path.join(home, 'elsewhere')]);
    expect(new DeployHistory(dataDir).list().map((r) => r.id)).toEqual(['d-only']);
  });
});
