import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../src-main/core/core';
import { createClient } from '../../src-renderer/client';
import { createChangesStore } from '../../src-renderer/stores/changes';

// The Changes store on the real core (in-process, real git and nix) through the same
// client the renderer uses: load, select, confirm, closure diff job, commit.

const repoRoot = path.resolve(import.meta.dirname, '../..');
let core: FleetCore;
let work: string;
let dataDir: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-diff-store-'));
  fs.cpSync(path.join(repoRoot, 'flake'), work, { recursive: true, filter: (src) => !/\/result(-[^/]*)?$/.test(src) });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: work, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'homelab');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-diff-store-data-'));
  core = createCore({ host: 'server', dataDir, root: work, env: { ...process.env, FLEET_NIX_OPTIONS: 'substituters=' } });
});

afterAll(async () => {
  await core?.dispose();
  for (const d of [work, dataDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

function store() {
  const client = createClient({ kind: 'browser', invoke: (name, input) => core.invokeWire(name, input), subscribe: (listener) => core.subscribe(listener) });
  return createChangesStore(() => client);
}

describe('the Changes store on the real core', () => {
  it('loads changes, the first diff, and the affected set confirmed by evaluation', async () => {
    const file = path.join(work, 'systems/zephyrus/default.nix');
    fs.appendFileSync(file, '  # a comment only\n'.replace('  ', ''));
    const host = path.join(work, 'systems/docker-node/default.nix');
    fs.writeFileSync(host, fs.readFileSync(host, 'utf8').replace('nixpkgs.versions.containerd = "1.7.15";', 'nixpkgs.versions.containerd = "1.7.16";'));
    const s = store();
    await s.getState().load();
    const state = s.getState();
    expect(state.changes?.files.map((f) => f.path)).toEqual(['systems/docker-node/default.nix', 'systems/zephyrus/default.nix']);
    await expect.poll(() => s.getState().fileDiff?.path).toBe('systems/docker-node/default.nix');
    expect(state.affectedState).toBe('done');
    const byId = Object.fromEntries((s.getState().affected?.affected ?? []).map((m) => [m.id, m.confirmed]));
    expect(byId).toEqual({ 'system:docker-node': true, 'system:zephyrus': false });
  });

  it('runs a closure diff job against HEAD and keeps its result', async () => {
    const s = store();
    await s.getState().load();
    await s.getState().closureDiff('docker-node', 'HEAD');
    await expect.poll(() => s.getState().closureState, { timeout: 120_000 }).toBe('done');
    const closure = s.getState().closure!;
    expect(closure.old.state).toBe('ok');
    expect(closure.diff?.packages.filter((p) => p.change === 'upgraded').map((p) => `${p.name} ${p.oldVersions.join()} -> ${p.newVersions.join()}`)).toEqual(['containerd 1.7.15 -> 1.7.16']);
  });

  it('pins an evaluation error on the machine that has it', async () => {
    const file = path.join(work, 'systems/lg-laptop/default.nix');
    const before = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, before.replace(/}\s*$/, '  networking.hostName = "a"; networking.hostName = "b";\n}\n'));
    try {
      const s = store();
      await s.getState().load();
      const laptop = s.getState().affected?.affected.find((m) => m.id === 'system:lg-laptop');
      expect(laptop?.evalError).toBeTruthy();
      expect(laptop?.confirmed).toBe(false);
    } finally {
      fs.writeFileSync(file, before);
    }
  });

  it('reports a machine that does not exist before any job starts', async () => {
    const s = store();
    await s.getState().closureDiff('no-such-host');
    expect(s.getState().closureState).toBe('error');
    expect(s.getState().closureError).toMatch(/no system named "no-such-host"/);
  });

  it('commits everything and is clean afterwards', async () => {
    const s = store();
    await s.getState().load();
    expect(await s.getState().commit('hostname of docker-node')).toBe(true);
    expect(s.getState().actionMessage).toMatch(/Committed 2 file/);
    expect(s.getState().changes?.files).toEqual([]);
    expect(s.getState().changes?.repo.dirty).toBe(false);
  });
});
