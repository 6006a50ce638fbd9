import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesThroughThisMachine, joinLan } from '../harness/hosts/index.js';
import type { ClosureDiffReport } from '../../src-main/core/closure/report';
import { breakTvBoxBuild } from './build-host-world';
import { startAgent } from './cache-world';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

// A build host: the example homelab's tv-box names moonlight as its build host (its
// meta.json, unchanged). The system is evaluated here, built by the lab host moonlight's own
// nix, and moonlight sends the closure straight to tv-box over the lab LAN (signing in with
// this machine's ssh-agent, forwarded). This machine's link to the lab is measured with the
// counters of its veths, which LAN traffic never touches.
describe('deploy through a build host', () => {
  let world: DeployWorld;
  let stopAgent: (() => void) | undefined;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['moonlight', 'tv-box'] });
    const meta = JSON.parse(fs.readFileSync(path.join(world.checkout, 'systems/tv-box/meta.json'), 'utf8')) as { deploy?: { buildHost?: string } };
    expect(meta.deploy?.buildHost).toBe('moonlight');
    await joinLan(world.lab.record);
    stopAgent = startAgent(world);
  });

  afterAll(async () => {
    stopAgent?.();
    await world?.stop();
  });

  const locallyValid = (p: string) => spawnSync('nix-store', ['--check-validity', p], { stdio: 'ignore' }).status === 0;

  it('builds on the build host, which copies straight to the target; this machine carries almost none of the closure', async () => {
    const marker = randomBytes(6).toString('hex');
    world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."built-on-moonlight".text = "${marker}";`);
    const before = await bytesThroughThisMachine(world.lab.record);
    const { job, record, events } = await world.deploy({ targets: ['tv-box'] });
    const through = (await bytesThroughThisMachine(world.lab.record)) - before;
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const tvBox = outcomeOf(record, 'tv-box');
    const outPath = tvBox.outPath!;
    expect(tvBox.builtOn).toBe('moonlight');
    expect(tvBox.copiedFrom).toBe('moonlight');
    // Built there, never here.
    expect((await world.lab.host('moonlight').exec(['nix-store', '--check-validity', outPath])).code).toBe(0);
    expect(locallyValid(outPath)).toBe(false);
    // The target runs it.
    expect(await world.lab.host('tv-box').currentSystem()).toBe(outPath);
    // The closure went moonlight -> tv-box; this machine's link carried the .drv files, ssh and the activation.
    expect(tvBox.copiedBytes).toBeGreaterThan(1_000_000);
    console.log(`build host deploy: closure ${tvBox.copiedBytes} bytes sent by the build host; this machine's link carried ${through} bytes`);
    expect(through).toBeLessThan(tvBox.copiedBytes! / 4);
    const log = events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');
    expect(log).toMatch(/moonlight sends \d+ of \d+ paths/);
  });

  it('the deploy sheet’s “What changes” diff builds on the build host and lists the closure there, against what the target runs', async () => {
    const marker = randomBytes(6).toString('hex');
    world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."diffed-on-moonlight".text = "${marker}";`);
    const running = await world.lab.host('tv-box').currentSystem();
    const { job, events } = await world.deploy({ machine: 'tv-box' }, { command: 'closure.diff' });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const report = job.result as ClosureDiffReport;
    expect(report.new.builtOn).toBe('moonlight');
    expect(report.new.label).toBe('working tree (built on moonlight)');
    const built = report.new.storePath!;
    // Built and listed there; nothing of it here.
    expect((await world.lab.host('moonlight').exec(['nix-store', '--check-validity', built])).code).toBe(0);
    expect(locallyValid(built)).toBe(false);
    expect(report.new.paths).toBeGreaterThan(10);
    // Compared with what tv-box runs: the new etc file is what it lacks.
    expect(report.old).toMatchObject({ state: 'ok', storePath: running });
    expect(report.diff!.download.exact).toBe(true);
    expect(report.diff!.download.paths).toBeGreaterThan(0);
    expect(report.diff!.download.paths).toBeLessThan(report.new.paths!);
    const progress = events.flatMap((e) => (e.type === 'job.progress' ? (e.progress.targets ?? []) : []));
    expect(progress.at(-1)).toMatchObject({ status: 'succeeded', builtOn: 'moonlight' });
  });

  it('a build failing on the build host names the derivation and shows its log, as a local failure does', async () => {
    breakTvBoxBuild(world);
    const { job, record, events } = await world.deploy({ targets: ['tv-box'] });
    expect(job.status).toBe('failed');
    const tvBox = outcomeOf(record, 'tv-box');
    expect(tvBox.status).toBe('failed');
    expect(tvBox.stage).toBe('build');
    expect(tvBox.message).toMatch(/backup-scripts-1\.0 failed to build on moonlight/);
    const progress = events.flatMap((e) => (e.type === 'job.progress' ? (e.progress.targets ?? []) : [])).filter((t) => t.target === 'tv-box');
    const failed = progress.at(-1)?.failedDerivations?.[0];
    expect(failed?.drv).toMatch(/backup-scripts-1\.0\.drv$/);
    expect(failed?.logTail.join('\n')).toContain('restic: command not found');
    const log = events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');
    expect(log).toMatch(/backup-scripts-1\.0 failed on moonlight; its full build log: ssh moonlight nix log \/nix\/store\/\S+backup-scripts-1\.0\.drv/);
  });

  it('an offline build host is reported before anything is built', async () => {
    const builder = world.lab.host('moonlight');
    await builder.cutNetwork('unreachable');
    try {
      const { job, record } = await world.deploy({ targets: ['tv-box'] });
      expect(job.status).toBe('failed');
      const tvBox = outcomeOf(record, 'tv-box');
      expect(tvBox.status).toBe('skipped');
      expect(tvBox.message).toMatch(/build host moonlight is offline/);
      expect(tvBox.stages.map((s) => s.name)).not.toContain('build');
      // The “What changes” diff says it needs the build host, and builds nothing here instead.
      const diff = await world.deploy({ machine: 'tv-box' }, { command: 'closure.diff' });
      expect(diff.job.status).toBe('failed');
      expect(diff.job.error?.message).toMatch(/build host moonlight is offline/);
    } finally {
      await builder.restoreNetwork();
    }
  });
});
