import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../src-main/core/core';
import { evaluateFlake } from '../../src-main/core/homelab/nix-eval';
import { scanInventory } from '../../src-main/core/homelab/scan';
import type { FleetEvent } from '../../src-main/core/api';
import type { Inventory } from '../../src-main/core/homelab/types';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nixArgs = ['--extra-experimental-features', 'nix-command flakes'];

/** A git-initialised, committed copy of the example homelab (nix reads tracked files only). */
function copyExample(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-inventory-'));
  fs.cpSync(path.join(repoRoot, 'flake'), dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab');
  return dir;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore' });
}

/** What nix itself says, asked the way a user would: one `nix eval .#<output> --apply builtins.attrNames` per output. */
function nixNames(dir: string, output: string): string[] {
  return JSON.parse(execFileSync('nix', [...nixArgs, 'eval', '--json', `.#${output}`, '--apply', 'builtins.attrNames'], { cwd: dir, encoding: 'utf8' })) as string[];
}

const cores: FleetCore[] = [];
afterAll(async () => {
  for (const core of cores) await core.dispose();
});

function core(root: string, host: 'cli' | 'server', env: NodeJS.ProcessEnv = process.env): FleetCore {
  const c = createCore({ host, root, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-data-')), env });
  cores.push(c);
  return c;
}

describe('inventory of flake/ against real nix', () => {
  const homelab = copyExample();

  it('the directory scan equals what nix eval lists, for all three outputs', async () => {
    const scan = scanInventory(homelab);
    expect(scan.systems.map((s) => s.name)).toEqual(nixNames(homelab, 'nixosConfigurations'));
    expect(scan.standaloneHomes.map((h) => h.name)).toEqual(nixNames(homelab, 'homeConfigurations'));
    expect(scan.droids.map((d) => d.name)).toEqual(nixNames(homelab, 'nixOnDroidConfigurations'));
    expect(scan.systems.map((s) => s.name)).toEqual(['docker-node', 'lg-laptop', 'moonlight', 'tv-box', 'zephyrus']);

    const inventory = (await core(homelab, 'cli').invoke('inventory.evaluate', {})) as Inventory;
    expect(inventory.flake.state).toBe('ok');
    expect(inventory.flake.nixosConfigurations).toEqual(nixNames(homelab, 'nixosConfigurations'));
    for (const item of [...inventory.systems, ...inventory.standaloneHomes, ...inventory.droids]) {
      expect(item.flake, item.name).toBe('discovered-and-in-flake');
    }
  });

  it('reads each system\'s arch from meta.json as nix does', () => {
    const scan = scanInventory(homelab);
    for (const system of scan.systems) {
      const nixSystem = JSON.parse(
        execFileSync('nix', [...nixArgs, 'eval', '--json', `.#nixosConfigurations.${system.name}.meta.system`], { cwd: homelab, encoding: 'utf8' }),
      ) as string;
      expect(system.system, system.name).toBe(nixSystem);
    }
  });

  it('`fleet inventory --json` prints one object with the documented fields', () => {
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'bin/fleet.js'), 'inventory', homelab, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, FLEET_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-cli-')) },
    });
    const json = JSON.parse(out) as Record<string, unknown> & Inventory;
    for (const key of ['root', 'layoutRoot', 'systems', 'homes', 'droids', 'modules', 'secrets', 'warnings']) expect(json).toHaveProperty(key);
    expect(json.root).toBe(homelab);
    const zephyrus = json.systems.find((s) => s.name === 'zephyrus');
    expect(zephyrus).toMatchObject({ name: 'zephyrus', path: 'systems/zephyrus', system: 'x86_64-linux', deploy: { host: 'zephyrus' }, homes: ['soriphoono@zephyrus'] });
    expect(json.homes.map((h) => [h.name, h.user, h.kind, h.host ?? null])).toEqual([
      ['soriphoono', 'soriphoono', 'base', null],
      ['soriphoono@global', 'soriphoono', 'global', null],
      ['soriphoono@zephyrus', 'soriphoono', 'host', 'zephyrus'],
    ]);
    expect(json.flake.state).toBe('ok');
  });

  it('keeps the scan and gives the checkout file and line when evaluation fails', async () => {
    const broken = copyExample();
    const lib = path.join(broken, 'lib', 'default.nix');
    const text = fs.readFileSync(lib, 'utf8').split('\n');
    const line = text.findIndex((l) => l.includes('modules = import ./modules.nix;')) + 1;
    expect(line).toBeGreaterThan(0);
    text[line - 1] = (text[line - 1] as string).replace('import ./modules.nix;', 'import ./modules.nix // undefinedThing;');
    fs.writeFileSync(lib, text.join('\n'));
    const evaluation = await evaluateFlake(broken);
    expect(evaluation.state).toBe('failed');
    expect(evaluation.error).toContain("undefined variable 'undefinedThing'");
    expect(evaluation.location).toMatchObject({ file: lib, line });
    const inventory = (await core(broken, 'cli').invoke('inventory.evaluate', {})) as Inventory;
    expect(inventory.systems.map((s) => s.name)).toEqual(['docker-node', 'lg-laptop', 'moonlight', 'tv-box', 'zephyrus']);
    expect(inventory.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining(`The flake could not be evaluated: undefined variable 'undefinedThing' (${lib}:${line})`));
  });

  it('tells to git add a flake.nix that git does not track', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-untracked-'));
    fs.writeFileSync(path.join(dir, 'README.md'), 'lab\n');
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', 'README.md');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'readme');
    fs.writeFileSync(path.join(dir, 'flake.nix'), '{ outputs = { self }: { }; }\n');
    const evaluation = await evaluateFlake(dir);
    expect(evaluation.state).toBe('failed');
    expect(evaluation.error).toContain('run `git add flake.nix`');
  });

  it('says nix is unavailable when it cannot be found', async () => {
    const evaluation = await evaluateFlake(homelab, { nix: '/nonexistent/nix' });
    expect(evaluation).toMatchObject({ state: 'unavailable', error: expect.stringContaining('nix is not installed or not on PATH') });
  });

  it('works when the flake lacks an output, and marks what nix does not list', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-partial-'));
    fs.mkdirSync(path.join(dir, 'systems', 'a'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'homes', 'u'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'systems', 'a', 'default.nix'), '{ }\n');
    fs.writeFileSync(path.join(dir, 'homes', 'u', 'default.nix'), '{ }\n');
    fs.writeFileSync(path.join(dir, 'flake.nix'), '{ outputs = { self }: { nixosConfigurations = { a = 1; extra = 2; }; }; }\n');
    const inventory = (await core(dir, 'cli').invoke('inventory.evaluate', {})) as Inventory;
    expect(inventory.flake).toMatchObject({ state: 'ok', nixosConfigurations: ['a', 'extra'] });
    expect(inventory.flake.homeConfigurations).toBeUndefined();
    expect(inventory.systems.map((s) => [s.name, s.flake])).toEqual([
      ['a', 'discovered-and-in-flake'],
      ['extra', 'in-flake-only'],
    ]);
    expect(inventory.standaloneHomes[0]?.warnings[0]?.message).toContain('no homeConfigurations output');
  });

  it('kills a runaway evaluation at its timeout', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-slow-'));
    fs.writeFileSync(
      path.join(dir, 'flake.nix'),
      '{ outputs = { self }: { nixosConfigurations = builtins.listToAttrs (builtins.genList (i: { name = toString i; value = i; }) 200000000); }; }\n',
    );
    const started = Date.now();
    const evaluation = await evaluateFlake(dir, { timeoutMs: 1500 });
    expect(evaluation.state).toBe('failed');
    expect(evaluation.error).toContain('did not finish evaluating the flake within 2 s');
    expect(Date.now() - started).toBeLessThan(6000);
  });
});

describe('live refresh', () => {
  it('publishes a changed inventory within a second of a file change, coalescing bursts', async () => {
    const homelab = copyExample();
    const c = core(homelab, 'server');
    const events: { at: number; inventory: Inventory }[] = [];
    c.subscribe((event: FleetEvent) => {
      if (event.type === 'inventory.changed') events.push({ at: Date.now(), inventory: event.inventory });
    });
    await c.invoke('inventory.evaluate', {});
    await new Promise((r) => setTimeout(r, 300)); // let the watcher settle
    events.length = 0;

    const started = Date.now();
    fs.mkdirSync(path.join(homelab, 'systems', 'fresh'));
    fs.writeFileSync(path.join(homelab, 'systems', 'fresh', 'default.nix'), '{ ... }: { }\n');
    await expect.poll(() => events.find((e) => e.inventory.systems.some((s) => s.name === 'fresh')), { timeout: 3000, interval: 20 }).toBeDefined();
    const seen = events.find((e) => e.inventory.systems.some((s) => s.name === 'fresh'));
    expect((seen?.at ?? Infinity) - started).toBeLessThan(1000);

    // A burst like `git checkout` (many files at once) becomes a handful of updates, not hundreds.
    await new Promise((r) => setTimeout(r, 1500));
    events.length = 0;
    for (let i = 0; i < 200; i++) {
      fs.mkdirSync(path.join(homelab, 'systems', `burst-${i}`));
      fs.writeFileSync(path.join(homelab, 'systems', `burst-${i}`, 'default.nix'), '{ }\n');
    }
    await expect.poll(() => events.at(-1)?.inventory.systems.length, { timeout: 5000 }).toBe(206);
    const rescans = events.filter((e) => e.inventory.flake.state === 'pending').length;
    expect(rescans).toBeLessThanOrEqual(4);

    fs.rmSync(path.join(homelab, 'systems', 'fresh'), { recursive: true });
    await expect.poll(() => events.at(-1)?.inventory.systems.some((s) => s.name === 'fresh'), { timeout: 3000 }).toBe(false);
  });
});
