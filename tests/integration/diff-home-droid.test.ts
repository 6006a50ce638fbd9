import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyPhoneWorld } from './android-world';
import type { ClosureDiffReport } from '../../src-main/core/closure/report';
import type { SinceDeployedReport } from '../../src-main/core/deploy/since-deployed';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

// Issue 7, items 3 and 4 against the test fleet: a standalone home's closure diff against
// the generation its host runs (listed over SSH as the home's user), and the since-deployed
// view falling back to the deploy history when the host is unreachable; and a droid's
// closure diff against the generation an EMULATED phone (tests/harness/phone) runs, listed
// over the phone's SSH session through the real adb server.

let world: DeployWorld;

async function closureDiff(input: Record<string, unknown>): Promise<ClosureDiffReport> {
  const { job } = await world.deploy(input, { command: 'closure.diff' });
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  return job.result as ClosureDiffReport;
}

beforeAll(async () => {
  world = await startDeployWorld({ names: ['zephyrus'] });
}, 120_000);

afterAll(async () => {
  await world?.stop();
});

describe('closure diff of a home on its host', () => {
  it('is unknown before the home is deployed there, then empty after, then lists a version bump', async () => {
    const before = await closureDiff({ machine: 'home:soriphoono@zephyrus', asUser: 'deploy' });
    expect(before.old.state).toBe('unknown');
    expect(before.old.error).toMatch(/no Home Manager profile/);
    expect(before.diff).toBeUndefined();

    const { job, record } = await world.deploy({ targets: ['home:soriphoono@zephyrus'], asUser: 'deploy' });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const deployed = outcomeOf(record, 'home:soriphoono@zephyrus').outPath;

    const same = await closureDiff({ machine: 'home:soriphoono@zephyrus', asUser: 'deploy' });
    expect(same.machine).toEqual({ kind: 'home', name: 'soriphoono@zephyrus' });
    expect(same.old.state).toBe('ok');
    expect(same.old.storePath).toBe(deployed);
    expect(same.new.storePath).toBe(deployed);
    expect(same.diff!.packages).toEqual([]);
    expect(same.diff!.download).toMatchObject({ paths: 0, bytes: 0 });

    world.edit('homes/soriphoono@global/default.nix', 'home.packages = [ pkgs.nix pkgs.tmux ];', 'home.packages = [ pkgs.nix pkgs.tmux ];\n  programs.fish.version = "3.7.2";');
    const bumped = await closureDiff({ machine: 'home:soriphoono@zephyrus', asUser: 'deploy' });
    expect(bumped.old.storePath).toBe(deployed);
    const fish = bumped.diff!.packages.find((p) => p.pname === 'fish');
    expect(fish?.newVersions).toEqual(['3.7.2']);
    expect(fish?.change).toMatch(/upgraded|downgraded/);
    expect(bumped.diff!.download.paths).toBeGreaterThan(0);
    expect(bumped.diff!.download.exact).toBe(true);
  }, 300_000);

  it('refuses a home that is not in the checkout, and asUser without a host', async () => {
    const core = world.core();
    await expect(core.invoke('closure.diff', { machine: 'home:nobody@zephyrus' })).rejects.toThrow(/No standalone home "nobody"/);
    await expect(core.invoke('closure.diff', { machine: 'home:soriphoono', asUser: 'deploy', base: 'HEAD' })).rejects.toThrow(/asUser/);
  });
});

describe('since deployed, host unreachable', () => {
  it('reads the revision from the host, and from the deploy history when the host is cut off', async () => {
    const { job } = await world.deploy({ targets: ['zephyrus'] });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const deployedHead = world.git('rev-parse', 'HEAD').trim();
    world.edit('systems/zephyrus/default.nix', 'programs.fish.version = "3.7.0";', 'programs.fish.version = "3.7.1";');

    const live = await world.deploy({ host: 'zephyrus' }, { command: 'changes.sinceDeployed' });
    const fromHost = live.job.result as SinceDeployedReport;
    expect(fromHost.revisionSource).toBe('host');
    expect(fromHost.deployedRevision).toBe(deployedHead);

    const host = world.lab.host('zephyrus');
    await host.cutNetwork('unreachable');
    try {
      const cut = await world.deploy({ host: 'zephyrus' }, { command: 'changes.sinceDeployed' });
      const report = cut.job.result as SinceDeployedReport;
      expect(report.revisionSource).toBe('history');
      expect(report.state).toBe('ok');
      expect(report.deployedRevision).toBe(deployedHead);
      expect(report.message).toMatch(/unreachable.*last successful deploy/);
      expect(report.commits.map((c) => c.subject)).toEqual(['edit systems/zephyrus/default.nix']);
      expect(report.files.map((f) => f.path)).toEqual(['systems/zephyrus/default.nix']);
      expect(report.outOfDate).toBe(true);
    } finally {
      await host.restoreNetwork();
    }
  }, 300_000);
});

describe('closure diff of a droid on an emulated phone', () => {
  const lab = readyPhoneWorld();

  async function droidDiff(input: Record<string, unknown>): Promise<ClosureDiffReport> {
    const job = await lab.world.job('closure.diff', { machine: 'droid:soriphoono', ...input });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    return job.result as ClosureDiffReport;
  }

  it('is unknown for a phone that is not connected', async () => {
    const report = await droidDiff({ serial: 'emulator-5998', identityFile: lab.world.key });
    expect(report.old.state).toBe('unknown');
    expect(report.old.error).toBeTruthy();
    expect(report.new.storePath).toMatch(/-nix-on-droid-generation/);
  }, 300_000);

  it('is empty against the generation just deployed, then lists a version bump', async () => {
    const deployed = await lab.world.job('droid.deploy', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key, buildOn: 'laptop' });
    expect(deployed.status, JSON.stringify(deployed.error)).toBe('succeeded');
    const running = (await lab.phone.runInApp(['readlink', '-f', '/nix/var/nix/profiles/nix-on-droid'])).output.trim();
    expect(running).toMatch(/^\/nix\/store\/.*-nix-on-droid-generation/);

    const same = await droidDiff({ serial: lab.phone.serial, identityFile: lab.world.key });
    expect(same.machine).toEqual({ kind: 'droid', name: 'soriphoono' });
    expect(same.old.state, same.old.error).toBe('ok');
    expect(same.old.storePath).toBe(running);
    expect(same.new.storePath).toBe(running);
    expect(same.diff!.packages).toEqual([]);
    expect(same.diff!.download).toMatchObject({ paths: 0, bytes: 0 });

    const file = join(lab.world.checkout, 'droids/soriphoono/default.nix');
    writeFileSync(file, readFileSync(file, 'utf8').replace('pkgs.fish ]', '(pkgs.withVersion "fish" "3.7.2") ]'));
    const bumped = await droidDiff({ serial: lab.phone.serial, identityFile: lab.world.key });
    expect(bumped.old.storePath).toBe(running);
    // The phone keeps the home's fish (3.7.0) and gains the package list's 3.7.2.
    const fish = bumped.diff!.packages.find((p) => p.pname === 'fish');
    expect(fish).toMatchObject({ oldVersions: ['3.7.0'], newVersions: ['3.7.0', '3.7.2'] });
    expect(fish!.sizeDelta).toBeGreaterThan(0);
    expect(bumped.diff!.download.paths).toBeGreaterThan(0);
    expect(bumped.diff!.download.exact).toBe(true);
  }, 300_000);
});
