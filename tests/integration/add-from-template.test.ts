import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../src-main/core/core';
import type { AddAnswer } from '../../src-main/core/homelab/contract';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nixArgs = ['--extra-experimental-features', 'nix-command flakes'];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

/** A git-initialised, committed copy of the example homelab (nix reads tracked files only). */
function copyExample(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-add-'));
  fs.cpSync(path.join(repoRoot, 'flake'), dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab');
  return dir;
}

/** Every path under the checkout (but .git) with its content, and git's index and status: what "untouched" means. */
function snapshot(dir: string): string {
  const walk = (d: string): string[] =>
    fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
      if (e.name === '.git') return [];
      const p = path.join(d, e.name);
      return e.isDirectory() ? [`${path.relative(dir, p)}/`, ...walk(p)] : [`${path.relative(dir, p)} ${fs.readFileSync(p, 'utf8').length}`];
    });
  return [...walk(dir).sort(), git(dir, 'ls-files', '--stage'), git(dir, 'status', '--porcelain', '--untracked-files=all')].join('\n');
}

const cores: FleetCore[] = [];
afterAll(async () => {
  for (const core of cores) await core.dispose();
});

function core(root: string): FleetCore {
  const c = createCore({ host: 'cli', root, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-data-')) });
  cores.push(c);
  return c;
}

describe('fleet add: a new system, home and droid from the homelab templates (real git and nix)', () => {
  const homelab = copyExample();
  const fleet = core(homelab);

  it('adds a system: template files with its name, meta.json with system and deploy target, in the index, in the flake and the inventory', async () => {
    const answer = (await fleet.invoke('inventory.add', {
      kind: 'system',
      name: 'web-01',
      system: 'x86_64-linux',
      deploy: { host: '10.0.0.5', user: 'root', tags: ['web'] },
    })) as AddAnswer;
    expect(answer.path).toBe('systems/web-01');
    expect(answer.files).toEqual(['systems/web-01/default.nix', 'systems/web-01/meta.json']);
    expect(fs.readFileSync(path.join(homelab, 'systems/web-01/default.nix'), 'utf8')).toContain('networking.hostName = "web-01";');
    expect(fs.readFileSync(path.join(homelab, 'systems/web-01/default.nix'), 'utf8')).not.toContain('new-host');
    expect(JSON.parse(fs.readFileSync(path.join(homelab, 'systems/web-01/meta.json'), 'utf8'))).toEqual({
      system: 'x86_64-linux',
      deploy: { tags: ['web'], host: '10.0.0.5', user: 'root' },
    });
    expect(git(homelab, 'diff', '--cached', '--name-only').split('\n').filter(Boolean)).toEqual(answer.files);
    expect(answer.flake.state).toBe('checked');
    // What nix says, asked the way a user would.
    const drv = JSON.parse(execFileSync('nix', [...nixArgs, 'eval', '--json', '.#nixosConfigurations.web-01.config.system.build.toplevel.drvPath'], { cwd: homelab, encoding: 'utf8' })) as string;
    expect(answer.flake.state === 'checked' && answer.flake.drvPath).toBe(drv);
    const item = answer.inventory.systems.find((s) => s.name === 'web-01');
    expect(item?.flake).toBe('discovered-and-in-flake');
    expect(item?.deploy).toMatchObject({ host: '10.0.0.5', user: 'root', tags: ['web'] });
    expect(fs.readdirSync(homelab).filter((n) => n.startsWith('.fleet-add'))).toEqual([]);
  });

  it('adds a home, a home for one system and a droid', async () => {
    const home = (await fleet.invoke('inventory.add', { kind: 'home', name: 'alice' })) as AddAnswer;
    expect(home.files).toEqual(['homes/alice/default.nix']);
    expect(home.inventory.standaloneHomes.find((h) => h.name === 'alice')?.flake).toBe('discovered-and-in-flake');

    const onHost = (await fleet.invoke('inventory.add', { kind: 'home', name: 'alice@web-01' })) as AddAnswer;
    expect(onHost.path).toBe('homes/alice@web-01');
    expect(onHost.flake).toMatchObject({ state: 'checked', attribute: 'nixosConfigurations.web-01.config.system.build.toplevel' });
    expect(onHost.inventory.systems.find((s) => s.name === 'web-01')?.homes).toContain('alice@web-01');

    const droid = (await fleet.invoke('inventory.add', { kind: 'droid', name: 'pixel' })) as AddAnswer;
    expect(droid.files).toEqual(['droids/pixel/default.nix', 'droids/pixel/meta.json']);
    expect(JSON.parse(fs.readFileSync(path.join(homelab, 'droids/pixel/meta.json'), 'utf8'))).toEqual({ system: 'aarch64-linux' });
    expect(droid.inventory.droids.find((d) => d.name === 'pixel')).toMatchObject({ flake: 'discovered-and-in-flake', system: 'aarch64-linux' });
    const staged = git(homelab, 'diff', '--cached', '--name-only');
    for (const f of [...home.files, ...onHost.files, ...droid.files]) expect(staged).toContain(f);
  });

  describe('refusals leave the tree, the index and the inventory untouched', () => {
    const refusals: readonly [string, Record<string, unknown>, RegExp][] = [
      ['a name with a space', { kind: 'system', name: 'bad name' }, /contains whitespace/],
      ['a name with a slash', { kind: 'system', name: 'web/01' }, /characters other than/],
      ['a name starting with a dot', { kind: 'droid', name: '.hidden' }, /starts with "\."/],
      ['default', { kind: 'system', name: 'default' }, /not a configuration name/],
      ['an existing system', { kind: 'system', name: 'docker-node' }, /already a system named "docker-node"/],
      ['an existing home', { kind: 'home', name: 'soriphoono' }, /already a home named "soriphoono"/],
      ['an existing droid', { kind: 'droid', name: 'soriphoono' }, /already a droid named "soriphoono"/],
      ['a home for a missing system', { kind: 'home', name: 'soriphoono@nowhere' }, /no system named "nowhere"/],
      ['a host home without its base home', { kind: 'home', name: 'bob@docker-node' }, /homes\/bob, which does not exist/],
      ['a missing template', { kind: 'system', name: 'fresh', template: 'nope' }, /no template "nope"/],
      ['a template without that kind', { kind: 'droid', name: 'fresh', template: 'host' }, /has no droid configuration/],
      ['a bad nix system', { kind: 'system', name: 'fresh', system: 'x86 64' }, /not a nix system/],
      ['a deploy host starting with "-"', { kind: 'system', name: 'fresh', deploy: { host: '-oProxyCommand=x' } }, /starts with "-"/],
    ];
    for (const [what, input, message] of refusals) {
      it(`refuses ${what}`, async () => {
        const before = snapshot(homelab);
        await expect(fleet.invoke('inventory.add', input as never)).rejects.toThrow(message);
        expect(snapshot(homelab)).toBe(before);
      });
    }

    it('rolls back a configuration the flake cannot evaluate (files, index and folder removed again)', async () => {
      fs.mkdirSync(path.join(homelab, 'templates/broken/systems/new-host'), { recursive: true });
      fs.writeFileSync(path.join(homelab, 'templates/broken/systems/new-host/default.nix'), '{ ... }: { networking.hostName = "new-host"; this is not nix');
      git(homelab, 'add', 'templates/broken');
      const before = snapshot(homelab);
      await expect(fleet.invoke('inventory.add', { kind: 'system', name: 'half', template: 'broken' })).rejects.toThrow(
        /does not evaluate nixosConfigurations\.half[\s\S]*Nothing was added: systems\/half was removed again/,
      );
      expect(snapshot(homelab)).toBe(before);
      expect(fs.existsSync(path.join(homelab, 'systems/half'))).toBe(false);
      const inventory = (await fleet.invoke('inventory.get', { rescan: true })) as AddAnswer['inventory'];
      expect(inventory.systems.map((s) => s.name)).not.toContain('half');
    });
  });
});
