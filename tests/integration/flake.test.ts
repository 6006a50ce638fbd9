// The example homelab (flake/) with real nix: `nix flake check` passes on a git-initialised
// copy, every configuration builds, a system toplevel looks and behaves like NixOS's, and
// a version bump in one host changes that host's closure only.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const flakeSource = resolve(import.meta.dirname, '../../flake');

/** Flags every nix call on the test machine needs: flakes, no binary cache (no network),
 *  no sandbox (builders are the host's /bin/sh), and aarch64-linux for the phone. No eval
 *  cache: nix 2.8 keys it by content, revision count and commit time, not by the commit, so
 *  another test's copy of flake/ committed in the same second could answer with its own
 *  configurationRevision. */
const nixFlags: readonly string[] = [
  '--extra-experimental-features', 'nix-command flakes',
  '--option', 'substituters', '',
  '--option', 'eval-cache', 'false',
  '--option', 'sandbox', 'false',
  '--option', 'extra-platforms', 'aarch64-linux',
];

const targets = {
  zephyrus: 'nixosConfigurations.zephyrus.config.system.build.toplevel',
  'lg-laptop': 'nixosConfigurations.lg-laptop.config.system.build.toplevel',
  moonlight: 'nixosConfigurations.moonlight.config.system.build.toplevel',
  'docker-node': 'nixosConfigurations.docker-node.config.system.build.toplevel',
  home: 'homeConfigurations.soriphoono.activationPackage',
  droid: 'nixOnDroidConfigurations.soriphoono.activationPackage',
} as const;
type Target = keyof typeof targets;

let work = '';
let checkout = '';

async function nix(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await run('nix', [...nixFlags, ...args], { cwd: checkout, env, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function git(args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', ['-c', 'user.name=fleet', '-c', 'user.email=fleet@localhost', ...args], { cwd: checkout });
  return stdout.trim();
}

/** Builds the given targets in one nix call and returns each one's output path.
 *  (`nix build --json` lists results in its own order, so each path is looked up.) */
async function build(names: readonly Target[]): Promise<Record<string, string>> {
  const out = await nix(['build', '--no-link', '--json', ...names.map((n) => `.#${targets[n]}`)]);
  const built = (JSON.parse(out) as { outputs: { out: string } }[]).map((r) => r.outputs.out);
  expect(built).toHaveLength(names.length);
  const paths: Record<string, string> = {};
  for (const name of names) {
    paths[name] = (await nix(['path-info', `.#${targets[name]}`])).trim();
    expect(built).toContain(paths[name]);
  }
  return paths;
}

async function closure(path: string): Promise<string[]> {
  return (await nix(['path-info', '--recursive', path])).split('\n').filter(Boolean);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fleet-flake-test-'));
  checkout = join(work, 'homelab');
  // `result*` links from builds by hand would make the copy's git tree point into the store.
  cpSync(flakeSource, checkout, { recursive: true, filter: (src) => !/\/result[^/]*$/.test(src) });
  await git(['init', '-q']);
  await git(['add', '-A']);
  await git(['commit', '-qm', 'homelab']);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('example homelab flake', () => {
  it('passes nix flake check', async () => {
    await expect(nix(['flake', 'check', '--no-write-lock-file'])).resolves.toBeDefined();
  });

  it('builds every configuration, with NixOS-shaped outputs', async () => {
    const outputs = await build(Object.keys(targets) as Target[]);
    const rev = await git(['rev-parse', 'HEAD']);

    for (const host of ['zephyrus', 'lg-laptop', 'moonlight', 'docker-node'] as const) {
      const top = outputs[host]!;
      expect(top).toMatch(new RegExp(`-nixos-system-${host}-`));
      for (const entry of ['bin/switch-to-configuration', 'activate', 'kernel', 'initrd', 'etc/hostname', 'sw/bin/nixos-version']) {
        expect(existsSync(join(top, entry)), `${host}: ${entry}`).toBe(true);
      }
      expect(readFileSync(join(top, 'etc/hostname'), 'utf8')).toBe(`${host}\n`);
      const { stdout } = await run(join(top, 'sw/bin/nixos-version'), ['--json']);
      const version = JSON.parse(stdout) as Record<string, string>;
      expect(version.configurationRevision).toBe(rev);
      expect(version.nixosVersion).toMatch(/^24\.05\./);
    }
    expect(existsSync(join(outputs.home!, 'activate'))).toBe(true);
    expect(existsSync(join(outputs.droid!, 'activate'))).toBe(true);
    expect((await nix(['eval', '--raw', `.#${targets.droid}.system`])).trim()).toBe('aarch64-linux');

    // The closure holds real packages named like nixpkgs', at the host's versions.
    const moonlight = await closure(outputs.moonlight!);
    expect(moonlight.some((p) => p.endsWith('-fish-3.7.1'))).toBe(true);
    expect(moonlight.some((p) => p.endsWith('-openssh-9.6p1'))).toBe(true);
    expect(moonlight.length).toBeGreaterThan(20);
  });

  it('switch-to-configuration activates, records the generation and refuses a bad action', async () => {
    const { moonlight } = await build(['moonlight']);
    const root = join(work, 'host-root');
    const profile = join(work, 'profiles', 'system');
    mkdirSync(join(work, 'profiles'), { recursive: true });
    const env = { ...process.env, FLEET_SYSTEM_ROOT: root, FLEET_SYSTEM_PROFILE: profile };
    await run('nix-env', [...nixFlags, '-p', profile, '--set', moonlight!]);

    const switched = await run(join(moonlight!, 'bin/switch-to-configuration'), ['switch'], { env });
    expect(switched.stdout).toContain('activating the configuration...');
    expect(switched.stdout).toContain('setting up /etc...');
    expect(readlinkSync(join(root, 'run/current-system'))).toBe(moonlight);
    expect(readFileSync(join(root, 'boot/loader/loader.conf'), 'utf8')).toBe('default nixos-generation-1.conf\n');

    const bad = run(join(moonlight!, 'bin/switch-to-configuration'), ['sideways'], { env });
    await expect(bad).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("unknown action 'sideways'") });
  });

  it('activates the home only under the HOME it is given', async () => {
    const { home } = await build(['home']);
    const homeDir = join(work, 'home-soriphoono');
    mkdirSync(homeDir);
    const { stdout } = await run(join(home!, 'activate'), [], { env: { ...process.env, HOME: homeDir } });
    expect(stdout).toContain('Activating linkGeneration');
    expect(readlinkSync(join(homeDir, '.config/git/config'))).toBe(join(home!, 'home-files/.config/git/config'));
  });

  it('merges modules like NixOS: priorities, conditions, lists, and errors that name the option', async () => {
    const expr = (modules: string): string => `
      let lib = import ${join(checkout, 'lib')};
          decl = { lib, ... }: {
            options.a = lib.mkOption { type = lib.types.str; default = "d"; };
            options.l = lib.mkOption { type = lib.types.listOf lib.types.int; default = [ ]; };
            options.e = lib.mkEnableOption "e";
          };
      in (lib.evalModules { modules = [ decl ${modules} ]; specialArgs = { inherit lib; }; }).config`;
    const evalConfig = async (modules: string): Promise<unknown> => JSON.parse(await nix(['eval', '--impure', '--json', '--expr', expr(modules)]));

    await expect(evalConfig('')).resolves.toEqual({ a: 'd', l: [], e: false });
    await expect(evalConfig('({ config, lib, ... }: lib.mkIf config.e { a = "x"; })')).resolves.toMatchObject({ a: 'd' });
    await expect(evalConfig('{ e = true; } ({ config, lib, ... }: lib.mkIf config.e { a = "x"; })')).resolves.toMatchObject({ a: 'x' });
    await expect(evalConfig('{ a = "x"; } ({ lib, ... }: { a = lib.mkForce "y"; })')).resolves.toMatchObject({ a: 'y' });
    await expect(evalConfig('{ l = [ 1 ]; } { imports = [ { l = [ 2 3 ]; } ]; }')).resolves.toMatchObject({ l: [1, 2, 3] });
    await expect(evalConfig('{ a = "x"; } { a = "y"; }')).rejects.toMatchObject({ stderr: expect.stringContaining("The option `a' has conflicting definition values") });
    await expect(evalConfig('{ a = 3; }')).rejects.toMatchObject({ stderr: expect.stringContaining("The option `a' is not of type `string'") });
    await expect(evalConfig('{ b = 1; }')).rejects.toMatchObject({ stderr: expect.stringContaining("The option `b' does not exist") });
  });

  it('bumping fish in one host changes that host only', async () => {
    // Make the tree dirty first, so both builds carry the same configurationRevision.
    writeFileSync(join(checkout, 'NOTES.md'), 'dirty\n');
    await git(['add', 'NOTES.md']);
    const before = await build(['moonlight', 'zephyrus']);

    const hostFile = join(checkout, 'systems/moonlight/default.nix');
    const text = readFileSync(hostFile, 'utf8');
    expect(text).toContain('programs.fish.version = "3.7.1";');
    writeFileSync(hostFile, text.replace('programs.fish.version = "3.7.1";', 'programs.fish.version = "3.7.2";'));
    const after = await build(['moonlight', 'zephyrus']);

    expect(after.zephyrus).toBe(before.zephyrus);
    expect(after.moonlight).not.toBe(before.moonlight);
    const bumped = await closure(after.moonlight!);
    expect(bumped.some((p) => p.endsWith('-fish-3.7.2'))).toBe(true);
    expect(bumped.some((p) => p.endsWith('-fish-3.7.1'))).toBe(false);
  });
});
