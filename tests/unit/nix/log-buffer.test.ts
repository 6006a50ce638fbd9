import { describe, expect, it } from 'vitest';
import { LogBuffer, parseLogFileLine } from '../../../src-renderer/components/LogViewer/log-buffer';
import { useJobsStore } from '../../../src-renderer/stores/jobs';
import type { JobInfo } from '../../../src-main/core/jobs/types';

describe('LogBuffer', () => {
  it('keeps the newest lines when full and counts the dropped ones', () => {
    const b = new LogBuffer(3);
    for (let i = 1; i <= 5; i++) b.push(`line ${i}`, i % 2 ? 'stdout' : 'stderr', 'moonlight');
    expect(b.length).toBe(3);
    expect(b.dropped).toBe(2);
    expect([b.text(0), b.text(1), b.text(2)]).toEqual(['line 3', 'line 4', 'line 5']);
    expect(b.stream(1)).toBe('stderr');
    expect(b.plain(2)).toBe('[moonlight] line 5');
  });
  it('searches visible text, ignoring colour codes', () => {
    const b = new LogBuffer(10);
    b.push('\x1b[31merr\x1b[0mor here');
    b.push('nothing');
    b.push('ERROR again');
    expect(b.search('error')).toEqual([0, 2]);
    expect(b.search('')).toEqual([]);
  });
  it('reads log file lines back', () => {
    expect(parseLogFileLine('[moonlight] hello> done')).toEqual({ target: 'moonlight', text: 'hello> done' });
    expect(parseLogFileLine('no target')).toEqual({ text: 'no target' });
  });
});

describe('jobs store', () => {
  const job: JobInfo = { id: 'j1', kind: 'build', title: 'Build x', targets: ['x'], status: 'running', startedAt: 1, logFile: '/tmp/j1.log' };
  it('applies queued job events in one update per flush', () => {
    const updates: number[] = [];
    const off = useJobsStore.subscribe((s) => updates.push(s.jobs.j1?.logVersion ?? -1));
    const store = useJobsStore.getState();
    store.apply({ type: 'job.created', job });
    for (let i = 0; i < 100; i++) store.apply({ type: 'job.log', jobId: 'j1', lines: [{ t: i, stream: 'stdout', text: `line ${i}`, target: 'x' }] });
    store.apply({ type: 'job.progress', jobId: 'j1', progress: { fraction: 0.5 } });
    expect(updates).toEqual([]);
    useJobsStore.getState().flush();
    expect(updates).toEqual([1]);
    const entry = useJobsStore.getState().jobs.j1!;
    expect(entry.log.length).toBe(100);
    expect(entry.info.progress?.fraction).toBe(0.5);
    expect(useJobsStore.getState().order).toEqual(['j1']);
    store.apply({ type: 'job.status', job: { ...job, status: 'succeeded', finishedAt: 2 } });
    useJobsStore.getState().flush();
    expect(useJobsStore.getState().jobs.j1!.info.status).toBe('succeeded');
    off();
  });
  it('leaves the log of a job it did not see start to be read from its file', () => {
    const store = useJobsStore.getState();
    store.apply({ type: 'job.status', job: { ...job, id: 'j2' } });
    store.apply({ type: 'job.log', jobId: 'j2', lines: [{ t: 0, stream: 'stdout', text: 'half a story' }] });
    useJobsStore.getState().flush();
    expect(useJobsStore.getState().jobs.j2!.history).toBe('none');
    expect(useJobsStore.getState().jobs.j2!.log.length).toBe(0);
  });
});
