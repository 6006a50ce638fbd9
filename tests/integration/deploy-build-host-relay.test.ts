import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src-main/core/events';
import { bytesThroughThisMachine } from '../harness/hosts/index.js';
import { startAgent } from './cache-world';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

// A build host that cannot reach its target: moonlight builds tv-box (its meta.json) but the
// two are not on one LAN (no joinLan: each lab host reaches only this machine), so moonlight
// cannot even resolve tv-box. Pre-flight finds that out before anything is built; the
// closure then goes moonlight -> this machine -> tv-box, streamed, never stored here; or,
// with relay off, tv-box fails at pre-flight saying why.
describe('deploy through a build host that cannot reach the target', () => {
  let world: DeployWorld;
  let stopAgent: (() => void) | undefined;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['moonlight', 'tv-box'] });
    stopAgent = startAgent(world);
  });

  afterAll(async () => {
    stopAgent?.();
    await world?.stop();
  });

  const locallyValid = (p: string) => spawnSync('nix-store', ['--check-validity', p], { stdio: 'ignore' }).status === 0;
  const logLines = (events: readonly FleetEvent[]) => events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : []));

  it('is found at pre-flight, before the build; the closure is relayed through this computer and never stored here', async () => {
    const marker = randomBytes(6).toString('hex');
    world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."relayed".text = "${marker}";`);
    const before = await bytesThroughThisMachine(world.lab.record);
    const { job, record, events } = await world.deploy({ targets: ['tv-box'] });
    const through = (await bytesThroughThisMachine(world.lab.record)) - before;
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const tvBox = outcomeOf(record, 'tv-box');
    expect(tvBox.builtOn).toBe('moonlight');
    expect(tvBox.relayedBecause).toBe('build host cannot reach tv-box');
    const outPath = tvBox.outPath!;
    // Built on moonlight, passed through here as a stream: not in this machine's store.
    expect((await world.lab.host('moonlight').exec(['nix-store', '--check-validity', outPath])).code).toBe(0);
    expect(locallyValid(outPath)).toBe(false);
    expect(await world.lab.host('tv-box').currentSystem()).toBe(outPath);
    expect(tvBox.copiedBytes).toBeGreaterThan(1_000_000);
    // It went through this machine's link (twice: in from moonlight, out to tv-box).
    console.log(`relayed deploy: ${tvBox.copiedBytes} bytes of closure; this machine's link carried ${through} bytes`);
    expect(through).toBeGreaterThan(tvBox.copiedBytes!);
    // Said at pre-flight, before the derivations went to moonlight.
    const lines = logLines(events);
    const noticed = lines.findIndex((l) => /moonlight cannot reach tv-box \(.+\): the closure will be relayed through this computer/.test(l));
    const built = lines.findIndex((l) => /build host moonlight: sent \d+ of \d+ derivation-closure paths/.test(l));
    expect(noticed).toBeGreaterThanOrEqual(0);
    expect(built).toBeGreaterThan(noticed);
    expect(lines.some((l) => /relayed \d+ paths \(.+\) from moonlight to tv-box through this computer/.test(l))).toBe(true);
    // The progress the deploy view shows carries it too.
    const progress = events.flatMap((e) => (e.type === 'job.progress' ? (e.progress.targets ?? []) : [])).filter((t) => t.target === 'tv-box');
    expect(progress.at(-1)?.relayedBecause).toBe('build host cannot reach tv-box');
  });

  it('with relay off, tv-box fails at pre-flight saying why, and nothing is built', async () => {
    world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."not-relayed".text = "${randomBytes(6).toString('hex')}";`);
    const { job, record } = await world.deploy({ targets: ['tv-box'], relay: false });
    expect(job.status).toBe('failed');
    const tvBox = outcomeOf(record, 'tv-box');
    expect(tvBox.status).toBe('failed');
    expect(tvBox.stage).toBe('preflight');
    expect(tvBox.message).toMatch(/^build host cannot reach tv-box \(moonlight: .+\)$/);
    expect(tvBox.hint).toMatch(/moonlight must reach tv-box by that name itself/);
    expect(tvBox.stages.map((s) => s.name)).not.toContain('build');
  });
});
