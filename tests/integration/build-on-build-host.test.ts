import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../src-main/core/nix/build';
import type { FleetEvent } from '../../src-main/core/events';
import { breakTvBoxBuild } from './build-host-world';
import { startDeployWorld, type DeployWorld } from './deploy-world';

// The build job (the Builds screen, `fleet build`) of a system whose meta.json names a build
// host: the example homelab's tv-box builds on moonlight. It takes the deploy's own
// build-host path: evaluated here, built by the lab host moonlight's nix; nothing is
// deployed, so tv-box itself needs no lab host.
describe('build job of a system with a build host', () => {
  let world: DeployWorld;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['moonlight'] });
  });

  afterAll(async () => {
    await world?.stop();
  });

  const locallyValid = (p: string) => spawnSync('nix-store', ['--check-validity', p], { stdio: 'ignore' }).status === 0;
  const progressOf = (events: readonly FleetEvent[], target: string) =>
    events.flatMap((e) => (e.type === 'job.progress' ? (e.progress.targets ?? []) : [])).filter((t) => t.target === target);
  const logOf = (events: readonly FleetEvent[]) => events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');

  it('builds tv-box on moonlight: the path is in moonlight’s store and not here; progress says where, with derivation counts', async () => {
    const marker = randomBytes(6).toString('hex');
    world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."built-by-the-build-job".text = "${marker}";`);
    const { job, events } = await world.deploy({ targets: ['tv-box'] }, { command: 'build.start' });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const result = job.result as BuildResult;
    const tvBox = result.targets.find((t) => t.target === 'tv-box')!;
    expect(tvBox.status).toBe('succeeded');
    expect(tvBox.builtOn).toBe('moonlight');
    const outPath = tvBox.outPath!;
    expect(outPath).toMatch(/^\/nix\/store\/[0-9a-z]{32}-nixos-system-tv-box/);
    // Built there, never here.
    expect((await world.lab.host('moonlight').exec(['nix-store', '--check-validity', outPath])).code).toBe(0);
    expect(locallyValid(outPath)).toBe(false);
    expect(tvBox.built).toBeGreaterThan(0);
    expect(tvBox.closureSize).toBeGreaterThan(1_000_000);
    // Every progress report of the job says where tv-box builds; the running ones count derivations as a local build's do.
    const progress = progressOf(events, 'tv-box');
    expect(progress.length).toBeGreaterThan(0);
    expect(new Set(progress.map((p) => p.builtOn))).toEqual(new Set(['moonlight']));
    expect(progress.some((p) => (p.total ?? 0) > 0)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ status: 'succeeded', outPath, builtOn: 'moonlight' });
    const log = logOf(events);
    expect(log).toContain('build host moonlight: connecting');
    expect(log).toMatch(/build host moonlight: sent \d+ of \d+ derivation-closure paths/);
    expect(log).toContain(`built on moonlight: ${outPath}`);
  });

  it('a build failing on moonlight shows the derivation and its log, as a local failure does', async () => {
    breakTvBoxBuild(world);
    const { job, events } = await world.deploy({ targets: ['tv-box'] }, { command: 'build.start' });
    expect(job.status).toBe('failed');
    expect(job.error?.message).toMatch(/tv-box: backup-scripts-1\.0 failed to build on moonlight/);
    expect(job.error?.hint).toMatch(/ssh moonlight nix log \/nix\/store\/\S+backup-scripts-1\.0\.drv/);
    const last = progressOf(events, 'tv-box').at(-1);
    expect(last).toMatchObject({ status: 'failed', builtOn: 'moonlight' });
    const failed = last?.failedDerivations?.[0];
    expect(failed?.drv).toMatch(/backup-scripts-1\.0\.drv$/);
    expect(failed?.logTail.join('\n')).toContain('restic: command not found');
    expect(logOf(events)).toMatch(/backup-scripts-1\.0 failed on moonlight; its full build log: ssh moonlight nix log \/nix\/store\/\S+backup-scripts-1\.0\.drv/);
    // The derivation is there; its output is nowhere.
    expect((await world.lab.host('moonlight').exec(['nix-store', '--check-validity', failed!.drv])).code).toBe(0);
  });

  it('an offline build host fails the build with why, and builds nothing here', async () => {
    const builder = world.lab.host('moonlight');
    await builder.cutNetwork('unreachable');
    try {
      const { job, events } = await world.deploy({ targets: ['tv-box'] }, { command: 'build.start' });
      expect(job.status).toBe('failed');
      expect(job.error?.message).toMatch(/tv-box: build host moonlight is offline/);
      expect(progressOf(events, 'tv-box').at(-1)).toMatchObject({ status: 'failed', builtOn: 'moonlight' });
    } finally {
      await builder.restoreNetwork();
    }
  });
});
