import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src-main/core/events';
import { Jobs } from '../../../src-main/core/jobs/jobs';
import type { JobInfo } from '../../../src-main/core/jobs/types';

const day = 24 * 60 * 60 * 1000;

/** A data folder holding finished jobs with logs of the given sizes, started `ageDays` ago. */
function dataFolder(jobs: readonly { id: string; ageDays: number; logBytes: number }[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-retention-'));
  fs.mkdirSync(path.join(dir, 'logs'));
  const lines: string[] = [];
  for (const j of jobs) {
    const logFile = path.join(dir, 'logs', `${j.id}.log`);
    fs.writeFileSync(logFile, 'x'.repeat(j.logBytes));
    const startedAt = Date.now() - j.ageDays * day;
    const info: JobInfo = { id: j.id, kind: 'build', title: j.id, targets: [], status: 'succeeded', startedAt, finishedAt: startedAt + 1000, logFile };
    lines.push(JSON.stringify({ ...info, status: 'running', finishedAt: undefined }), JSON.stringify(info));
  }
  fs.writeFileSync(path.join(dir, 'jobs.jsonl'), lines.join('\n') + '\n');
  return dir;
}

describe('the data folder stays bounded', () => {
  it('forgets jobs older than the retention, log and index lines, at start-up', () => {
    const dir = dataFolder([
      { id: 'old', ageDays: 40, logBytes: 10 },
      { id: 'recent', ageDays: 2, logBytes: 10 },
    ]);
    fs.writeFileSync(path.join(dir, 'logs', 'orphan.log'), 'left by a crash');
    fs.utimesSync(path.join(dir, 'logs', 'orphan.log'), new Date(Date.now() - 60 * day), new Date(Date.now() - 60 * day));
    const jobs = new Jobs(dir, new EventBus(), () => ({ days: 30, maxMegabytes: 512 }));
    expect(jobs.list().map((j) => j.id)).toEqual(['recent']);
    expect(fs.readdirSync(path.join(dir, 'logs'))).toEqual(['recent.log']);
    const index = fs.readFileSync(path.join(dir, 'jobs.jsonl'), 'utf8').trim().split('\n');
    expect(index).toHaveLength(1);
    expect(JSON.parse(index[0]!)).toMatchObject({ id: 'recent', status: 'succeeded' });
    // A new process reads the same bounded history.
    expect(new Jobs(dir, new EventBus(), () => ({ days: 30, maxMegabytes: 512 })).list().map((j) => j.id)).toEqual(['recent']);
  });

  it('keeps the newest logs within the size limit, and prunes again when a job ends', async () => {
    const mib = 1024 * 1024;
    const dir = dataFolder([
      { id: 'a-oldest', ageDays: 3, logBytes: mib },
      { id: 'b-older', ageDays: 2, logBytes: mib },
      { id: 'c-newest', ageDays: 1, logBytes: mib },
    ]);
    const jobs = new Jobs(dir, new EventBus(), () => ({ days: 30, maxMegabytes: 2 }));
    expect(jobs.list().map((j) => j.id)).toEqual(['c-newest', 'b-older']);
    expect(fs.existsSync(path.join(dir, 'logs', 'a-oldest.log'))).toBe(false);
    const info = jobs.start({ kind: 'build', title: 'new' }, async (ctx) => {
      ctx.log('y'.repeat(1000));
      // While it runs the job is never pruned, whatever the limit.
      expect(fs.existsSync(ctx.logFile)).toBe(true);
    });
    await jobs.wait(info.id);
    expect(jobs.list().map((j) => j.id)).toEqual([info.id, 'c-newest']);
    expect(fs.existsSync(path.join(dir, 'logs', 'b-older.log'))).toBe(false);
  });

  it('reads a range of a long log without reading it all into one string', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-log-range-'));
    const jobs = new Jobs(dir, new EventBus());
    const info = jobs.start({ kind: 'build', title: 'long log' }, async (ctx) => {
      // A long build log, written straight to the job's file as a fast builder would fill it.
      fs.appendFileSync(ctx.logFile, Array.from({ length: 200_000 }, (_, i) => `line ${i}\n`).join(''));
    });
    await jobs.wait(info.id);
    const { lines, total } = await jobs.readLog(info.id, 150_000, 3);
    expect(total).toBe(200_000);
    expect(lines).toEqual(['line 150000', 'line 150001', 'line 150002']);
    expect(await jobs.readLog(info.id, 199_999, 10)).toEqual({ lines: ['line 199999'], total: 200_000 });
  });
});
