import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../src-main/core/nix/build';
import type { JobProgress } from '../../src-main/core/jobs/types';
import { bumpKernel, copyHomelab, openCore, runJob, type Session } from './build-homelab';

// Real nix builds of the example homelab: every system (a new kernel makes their kernels,
// initrds and toplevels build), the standalone home and the phone, two at a time.
describe('build.start on the example homelab', () => {
  let root: string;
  let session: Session;
  beforeAll(() => {
    root = copyHomelab(bumpKernel);
    session = openCore(root);
  });
  afterAll(async () => {
    await session.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('builds every target and its progress events add up to the result', async () => {
    const targets = ['zephyrus', 'lg-laptop', 'moonlight', 'docker-node', 'home:soriphoono', 'droid:soriphoono'];
    const info = await runJob(session, 'build.start', { targets, concurrency: 2 });
    expect(info.error).toBeUndefined();
    expect(info.status).toBe('succeeded');
    const result = info.result as BuildResult;
    expect(result.targets.map((t) => t.target)).toEqual(targets);
    for (const t of result.targets) {
      expect(t.status).toBe('succeeded');
      expect(t.outPath).toMatch(/^\/nix\/store\/[0-9a-z]{32}-/);
      expect(fs.existsSync(t.outPath!)).toBe(true);
      expect(t.closureSize).toBeGreaterThan(0);
      expect(t.closurePaths).toBeGreaterThan(1);
    }
    expect(result.targets.find((t) => t.target === 'moonlight')!.outPath).toContain('nixos-system-moonlight');

    const progress = session.events.flatMap((e) => (e.type === 'job.progress' && e.jobId === info.id ? [e.progress] : []));
    expect(progress.length).toBeGreaterThan(2);
    const last: JobProgress = progress.at(-1)!;
    expect(last.fraction).toBe(1);
    // Per target: the final snapshot's counts are what the result says was built.
    for (const t of result.targets) {
      const snap = last.targets!.find((p) => p.target === t.target)!;
      expect(snap.status).toBe('succeeded');
      expect(snap.done).toBe(t.built);
      expect(snap.total).toBe(t.built);
      expect(snap.outPath).toBe(t.outPath);
    }
    const builtTotal = result.targets.reduce((n, t) => n + t.built, 0);
    // The kernel bump rebuilds at least a kernel, an initrd and a toplevel per system (shared ones once).
    expect(builtTotal).toBeGreaterThanOrEqual(7);
    expect(last.builds).toMatchObject({ done: builtTotal, total: builtTotal, failed: 0, running: 0 });
    // Builds done never go backwards across events.
    const done = progress.map((p) => p.builds?.done ?? 0);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    // Some snapshot showed a running derivation with its phase.
    expect(progress.some((p) => p.targets?.some((t) => t.running?.some((r) => r.phase)))).toBe(true);

    // Throttled: never more than ~20 progress events a second.
    const times = session.events
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => e.type === 'job.progress');
    expect(times.length).toBeLessThan(((info.finishedAt! - info.startedAt) / 1000 + 1) * 21);

    // The log file has each derivation's build output, prefixed by target and derivation.
    const log = fs.readFileSync(info.logFile, 'utf8');
    expect(log).toMatch(/^\[moonlight\] nixos-system-moonlight[^>]*> /m);
    expect(log).toContain('[moonlight] built /nix/store/');
  });

  it('runs nix flake check as its own job', async () => {
    const info = await runJob(session, 'flake.check', {});
    expect(info.error).toBeUndefined();
    expect(info.status).toBe('succeeded');
    expect(info.kind).toBe('flake-check');
    expect(info.progress?.fraction).toBe(1);
  });

  it('answers nix.info with the installed nix', async () => {
    const info = (await session.core.invoke('nix.info', {})) as { found: boolean; version: string; flavour: string };
    expect(info.found).toBe(true);
    expect(info.version).toMatch(/^2\.\d+/);
    expect(['nix', 'lix', 'determinate']).toContain(info.flavour);
  });
});
