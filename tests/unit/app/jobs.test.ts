import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus, type FleetEvent } from '../../../src-main/core/events';
import { Jobs } from '../../../src-main/core/jobs/jobs';

function setup() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-jobs-'));
  const events = new EventBus();
  const seen: FleetEvent[] = [];
  events.subscribe((e) => seen.push(e));
  return { dataDir, events, seen, jobs: new Jobs(dataDir, events) };
}

describe('jobs', () => {
  it('stream batched log lines and throttled progress, then finish with their result', async () => {
    const { jobs, seen } = setup();
    const info = jobs.start({ kind: 'build', title: 'Build moonlight' }, async (ctx) => {
      for (let i = 0; i < 500; i++) ctx.log(`line ${i}`, 'stderr', 'moonlight');
      for (let i = 0; i <= 1000; i++) ctx.progress({ fraction: i / 1000 });
      return { outPath: '/nix/store/x' };
    });
    const done = await jobs.wait(info.id);
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({ outPath: '/nix/store/x' });
    const logEvents = seen.filter((e) => e.type === 'job.log');
    const lines = logEvents.flatMap((e) => (e.type === 'job.log' ? e.lines : []));
    expect(lines).toHaveLength(500);
    expect(logEvents.length).toBeLessThan(10);
    const progressEvents = seen.filter((e) => e.type === 'job.progress');
    expect(progressEvents.length).toBeLessThan(10);
    expect(progressEvents.at(-1)).toMatchObject({ progress: { fraction: 1 } });
    expect(fs.readFileSync(done.logFile, 'utf8')).toContain('[moonlight] line 499');
    expect(seen[0]?.type).toBe('job.created');
    expect(seen.at(-1)?.type).toBe('job.status');
  });

  it('slices a large burst of log lines into events of at most 1,000 lines, in order', async () => {
    const { jobs, seen } = setup();
    const info = jobs.start({ kind: 'build', title: 'chatty' }, async (ctx) => {
      for (let i = 0; i < 4500; i++) ctx.log(`line ${i}`);
    });
    await jobs.wait(info.id);
    const batches = seen.flatMap((e) => (e.type === 'job.log' ? [e.lines] : []));
    expect(batches.every((b) => b.length <= 1000)).toBe(true);
    expect(batches.flat().map((l) => l.text)).toEqual(Array.from({ length: 4500 }, (_, i) => `line ${i}`));
  });

  it('can be cancelled: the work sees the abort signal and the job ends cancelled', async () => {
    const { jobs } = setup();
    const info = jobs.start({ kind: 'build', title: 'slow' }, (ctx) => {
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(new Error('killed')));
      });
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(jobs.cancel(info.id)).toBe(true);
    const done = await jobs.wait(info.id);
    expect(done.status).toBe('cancelled');
    expect(jobs.cancel(info.id)).toBe(false);
  });

  it('a failure keeps the error message and the log', async () => {
    const { jobs } = setup();
    const info = jobs.start({ kind: 'build', title: 'fails' }, async (ctx) => {
      ctx.log('building...');
      throw new Error('builder for foo.drv failed with exit code 1');
    });
    const done = await jobs.wait(info.id);
    expect(done.status).toBe('failed');
    expect(done.error?.message).toMatch(/exit code 1/);
    expect((await jobs.readLog(info.id)).lines).toEqual(['building...', 'Failed: builder for foo.drv failed with exit code 1']);
  });

  it('after a crash, a job that was running is listed as interrupted with its log kept', async () => {
    const { dataDir, jobs } = setup();
    const info = jobs.start({ kind: 'deploy', title: 'Deploy moonlight' }, () => new Promise(() => undefined));
    await new Promise((r) => setTimeout(r, 150));
    // The process "dies" here: a new Jobs reads the same data folder.
    const reopened = new Jobs(dataDir, new EventBus());
    expect(reopened.get(info.id)?.status).toBe('interrupted');
  });
});
