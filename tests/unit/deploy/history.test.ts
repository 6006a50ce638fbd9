import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeployHistory } from '../../../src-main/core/deploy/history';
import type { DeployRecord, TargetOutcome } from '../../../src-main/core/deploy/types';

const record = (id: string, startedAt: number): DeployRecord => ({
  id,
  jobId: `job-${id}`,
  who: 'me@here',
  root: '/homelab',
  mode: 'switch',
  targets: ['moonlight', 'zephyrus'],
  startedAt,
  status: 'running',
  outcomes: [
    { target: 'moonlight', host: 'moonlight', status: 'pending', stages: [] },
    { target: 'zephyrus', host: 'zephyrus', status: 'pending', stages: [] },
  ],
  logFile: '/x.log',
});
const running = (target: string, stage: TargetOutcome['stage']): TargetOutcome => ({ target, host: target, status: 'running', stage, stages: [] });

describe('deploy history', () => {
  it('reads back finished deploys, newest first, by id or job id', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-hist-'));
    const h = new DeployHistory(dir);
    h.start(record('a', 1));
    h.end({ ...record('a', 1), status: 'succeeded', finishedAt: 5 });
    h.start(record('b', 2));
    h.end({ ...record('b', 2), status: 'failed', finishedAt: 6 });
    expect(h.list().map((r) => [r.id, r.status])).toEqual([['b', 'failed'], ['a', 'succeeded']]);
    expect(h.get('job-a')?.id).toBe('a');
    fs.rmSync(dir, { recursive: true });
  });

  it('a deploy without an end line is interrupted, at the stage each host had reached, after a restart', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-hist-'));
    const before = new DeployHistory(dir);
    before.start(record('c', 3));
    before.outcome('c', running('moonlight', 'copy'));
    before.outcome('c', { ...running('zephyrus', 'activate'), status: 'succeeded' });
    expect(before.list()[0]!.status).toBe('running');
    // A torn last line, as a crash mid-write leaves it.
    fs.appendFileSync(path.join(dir, 'deploys.jsonl'), '{"t":"outcome","id":"c","outc');
    const after = new DeployHistory(dir);
    const [c] = after.list();
    expect(c!.status).toBe('interrupted');
    expect(c!.outcomes.find((o) => o.target === 'moonlight')).toMatchObject({ status: 'failed', stage: 'copy', message: 'interrupted during copy' });
    expect(c!.outcomes.find((o) => o.target === 'zephyrus')!.status).toBe('succeeded');
    fs.rmSync(dir, { recursive: true });
  });
});
