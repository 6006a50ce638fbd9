import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeployHistory } from '../../../src-main/core/deploy/history';
import type { DeployRecord, TargetOutcome } from '../../../src-main/core/deploy/types';
import { lastDeployedRevision, recordedDeployOf } from '../../../src-main/core/deploy/deployed-revision';

function outcome(target: string, status: TargetOutcome['status']): TargetOutcome {
  return { target, host: target, status, stages: [] };
}

function record(id: string, startedAt: number, outcomes: TargetOutcome[], extra: Partial<DeployRecord> = {}): DeployRecord {
  return {
    id,
    jobId: `job-${id}`,
    who: 't@here',
    root: '/src/homelab',
    revision: `${id}`.padEnd(40, 'a'),
    mode: 'switch',
    targets: outcomes.map((o) => o.target),
    startedAt,
    finishedAt: startedAt + 1,
    status: outcomes.every((o) => o.status === 'succeeded') ? 'succeeded' : 'failed',
    outcomes,
    logFile: '/dev/null',
    ...extra,
  };
}

describe('the deployed revision from the deploy history', () => {
  it('takes what a droid was sent: the working tree as a dirty deploy, a commit as it is even from a dirty checkout', () => {
    const worktree: TargetOutcome = { ...outcome('droid:soriphoono', 'succeeded'), revision: 'worktree' };
    const commit: TargetOutcome = { ...outcome('droid:soriphoono', 'succeeded'), revision: 'f'.repeat(40) };
    const records = [record('d', 40, [worktree], { dirty: false }), record('e', 30, [commit], { dirty: true })];
    expect(lastDeployedRevision(records, 'droid:soriphoono')?.revision).toBe(`${'d'.padEnd(40, 'a')}-dirty`);
    expect(lastDeployedRevision(records.slice(1), 'droid:soriphoono')?.revision).toBe('f'.repeat(40));
  });

  it('takes the newest deploy that succeeded on the host, skipping failed ones and other hosts', () => {
    const records = [
      record('c', 30, [outcome('moonlight', 'rolled-back')]),
      record('b', 20, [outcome('zephyrus', 'succeeded')]),
      record('a', 10, [outcome('moonlight', 'succeeded'), outcome('zephyrus', 'failed')]),
    ];
    expect(lastDeployedRevision(records, 'moonlight')).toEqual({ revision: 'a'.padEnd(40, 'a'), deployId: 'a', at: 11 });
    expect(lastDeployedRevision(records, 'zephyrus')?.deployId).toBe('b');
    expect(lastDeployedRevision(records, 'lg-laptop')).toBeUndefined();
  });

  it('marks a deploy of a dirty tree, and prefers deploys of the same checkout', () => {
    const records = [
      record('n', 20, [outcome('moonlight', 'succeeded')], { root: '/elsewhere' }),
      record('m', 10, [outcome('moonlight', 'succeeded')], { dirty: true }),
    ];
    expect(lastDeployedRevision(records, 'moonlight', '/src/homelab')?.revision).toBe(`${'m'.padEnd(40, 'a')}-dirty`);
    expect(lastDeployedRevision(records, 'moonlight', '/other')?.deployId).toBe('n');
    expect(lastDeployedRevision(records, 'moonlight')?.deployId).toBe('n');
  });

  it('ignores a deploy without a recorded revision (not a git checkout)', () => {
    const { revision: _unused, ...noRevision } = record('x', 10, [outcome('moonlight', 'succeeded')]);
    expect(lastDeployedRevision([noRevision], 'moonlight')).toBeUndefined();
  });

  it('reads deploys.jsonl of a data folder, torn lines and all', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-deployed-rev-'));
    try {
      expect(recordedDeployOf(dir, 'moonlight')).toBeUndefined();
      const history = new DeployHistory(dir);
      const done = record('d', 10, [outcome('home:soriphoono@zephyrus', 'succeeded')]);
      history.start({ ...done, status: 'running', outcomes: [] });
      history.end(done);
      fs.appendFileSync(path.join(dir, 'deploys.jsonl'), '{"t":"start","rec');
      expect(recordedDeployOf(dir, 'home:soriphoono@zephyrus', '/src/homelab')).toMatchObject({ deployId: 'd', revision: 'd'.padEnd(40, 'a') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
