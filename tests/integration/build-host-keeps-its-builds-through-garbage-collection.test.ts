import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinLan } from '../harness/hosts/index.js';
import type { ClosureDiffReport } from '../../src-main/core/closure/report';
import type { BuildResult } from '../../src-main/core/nix/build';
import { startAgent } from './cache-world';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

// What a build host builds for us has a garbage-collector root there, as nixos-rebuild's and
// colmena's builds do: the example homelab's tv-box builds on the lab host moonlight, whose
// login user (root) keeps one root per system in ~/.local/state/homelab-fleet/build-roots/.
// Its garbage collection runs for real (nix-collect-garbage in moonlight's own store).
describe('a build host keeps what it built through its garbage collection', () => {
  let world: DeployWorld;
  let stopAgent: (() => void) | undefined;
  const roots = '/root/.local/state/homelab-fleet/build-roots';

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['moonlight', 'tv-box'] });
    await joinLan(world.lab.record);
    stopAgent = startAgent(world);
  });

  afterAll(async () => {
    stopAgent?.();
    await world?.stop();
  });

  const moonlight = () => world.lab.host('moonlight');
  const locallyValid = (p: string) => spawnSync('nix-store', ['--check-validity', p], { stdio: 'ignore' }).status === 0;
  const validOnMoonlight = async (p: string) => (await moonlight().exec(['nix-store', '--check-validity', p])).code === 0;
  const collectGarbage = async () => {
    const gc = await moonlight().exec(['nix-collect-garbage']);
    expect(gc.code, gc.stderr).toBe(0);
  };
  /** The files of the build-roots folder on moonlight and where each points (a pending root left behind would show here). */
  const rootsOnMoonlight = async (): Promise<Record<string, string>> => {
    const listed = await moonlight().exec(['find', roots, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f %l\\n']);
    expect(listed.code, listed.stderr).toBe(0);
    return Object.fromEntries(
      listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
  };
  /** Build logs in moonlight's store: one more for every derivation it builds. */
  const buildLogsOnMoonlight = async () => (await moonlight().exec(['sh', '-c', 'find /nix/var/log/nix/drvs -type f 2>/dev/null | wc -l'])).stdout.trim();
  const buildTvBox = async () => {
    const { job } = await world.deploy({ targets: ['tv-box'] }, { command: 'build.start' });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const tvBox = (job.result as BuildResult).targets.find((t) => t.target === 'tv-box')!;
    expect(tvBox.builtOn).toBe('moonlight');
    return tvBox.outPath!;
  };
  const markTvBox = (file: string) =>
    world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."${file}".text = "${randomBytes(6).toString('hex')}";`);

  it('the toplevel built on moonlight outlives nix-collect-garbage there, and a deploy afterwards copies it without building it again', async () => {
    markTvBox('kept-through-gc');
    const built = await buildTvBox();
    // One root, for tv-box; the pending root of the realise is gone.
    expect(await rootsOnMoonlight()).toEqual({ 'tv-box': built });
    // nix's own list of roots holds it (Nix 2.34 quotes the root's path, 2.8 does not).
    const printed = (await moonlight().exec(['nix-store', '--gc', '--print-roots'])).stdout.split('\n').map((l) => l.replace(/^"(.*)"( -> )/, '$1$2'));
    expect(printed).toContain(`${roots}/tv-box -> ${built}`);

    await collectGarbage();
    expect(await validOnMoonlight(built)).toBe(true);

    const logsBefore = await buildLogsOnMoonlight();
    const { job, record } = await world.deploy({ targets: ['tv-box'] });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const tvBox = outcomeOf(record, 'tv-box');
    expect(tvBox).toMatchObject({ outPath: built, builtOn: 'moonlight', copiedFrom: 'moonlight' });
    expect(await world.lab.host('tv-box').currentSystem()).toBe(built);
    // Nothing was built again: moonlight wrote no build log.
    expect(await buildLogsOnMoonlight()).toBe(logsBefore);
    expect(locallyValid(built)).toBe(false);
  });

  it('the next build of another generation replaces the root, and the one before becomes collectable', async () => {
    const before = (await rootsOnMoonlight())['tv-box']!;
    markTvBox('next-generation');
    const built = await buildTvBox();
    expect(built).not.toBe(before);
    expect(await rootsOnMoonlight()).toEqual({ 'tv-box': built });

    await collectGarbage();
    expect(await validOnMoonlight(built)).toBe(true);
    expect(await validOnMoonlight(before)).toBe(false);
  });

  it('“What changes” against HEAD~ builds the revision on moonlight too, under a root of its own; neither side is built here', async () => {
    // HEAD~: a tv-box no store has seen; HEAD: the same plus ripgrep.
    markTvBox('compared-with-a-revision');
    world.edit('systems/tv-box/default.nix', 'environment.systemPackages = [ pkgs.tmux pkgs.htop ];', 'environment.systemPackages = [ pkgs.tmux pkgs.htop pkgs.ripgrep ];');

    const { job } = await world.deploy({ machine: 'tv-box', base: 'HEAD~' }, { command: 'closure.diff' });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const report = job.result as ClosureDiffReport;
    expect(report.old).toMatchObject({ source: 'revision', builtOn: 'moonlight', state: 'ok' });
    expect(report.old.label).toMatch(/^HEAD~ \([0-9a-f]{7}\) \(built on moonlight\)$/);
    expect(report.new).toMatchObject({ source: 'working-tree', builtOn: 'moonlight', label: 'working tree (built on moonlight)' });
    const [revision, workingTree] = [report.old.storePath!, report.new.storePath!];
    expect(revision).toMatch(/-nixos-system-tv-box/);
    expect(workingTree).not.toBe(revision);
    // The change between the two commits is what the diff reports.
    expect(report.diff!.packages).toContainEqual(expect.objectContaining({ pname: 'ripgrep', change: 'added' }));
    expect(report.old.paths).toBeGreaterThan(10);

    // Both built and listed on moonlight; neither is in this machine's store.
    for (const side of [revision, workingTree]) {
      expect(await validOnMoonlight(side)).toBe(true);
      expect(locallyValid(side)).toBe(false);
    }
    // The revision has its own root: the system's root keeps the working tree's build, which the next deploy copies.
    expect(await rootsOnMoonlight()).toEqual({ 'tv-box': workingTree, 'tv-box@revision': revision });
    await collectGarbage();
    expect(await validOnMoonlight(workingTree)).toBe(true);
    expect(await validOnMoonlight(revision)).toBe(true);
  });
});
