import * as fs from 'node:fs';
import { isThisProcess, processState, thisProcess, type ProcessIdentity } from '../process/identity';
import type { JobInfo } from './types';

/**
 * The durable list of jobs: one JSON line appended when a job starts and one when it
 * ends. The data folder is shared by the desktop app, `fleet` and `fleet serve`, so each line
 * names the process running the job: a job whose last line says "running" is running while
 * that process runs, and was cut short (reported as interrupted) once it is gone. Torn or
 * foreign lines are skipped, never fatal.
 */
export class JobIndex {
  constructor(private readonly file: string) {}

  load(): JobInfo[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const byId = new Map<string, { job: JobInfo; owner?: ProcessIdentity }>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const { owner, ...job } = JSON.parse(line) as JobInfo & { owner?: ProcessIdentity };
        if (typeof job.id === 'string' && typeof job.kind === 'string') byId.set(job.id, { job, ...(owner ? { owner } : {}) });
      } catch {
        // A line torn by a crash mid-write.
      }
    }
    return [...byId.values()].map(({ job, owner }) =>
      job.status === 'running' && !runsElsewhere(owner) ? { ...job, status: 'interrupted' as const } : job,
    );
  }

  /**
   * Rewrite the index without the forgotten jobs, one line per job kept (atomically: a crash
   * leaves the old or the new file). Lines another process appended meanwhile are kept: the
   * file is read again just before it is replaced, and left alone if it changed under us.
   */
  forget(ids: ReadonlySet<string>): boolean {
    if (ids.size === 0) return true;
    let before: string;
    try {
      before = fs.readFileSync(this.file, 'utf8');
    } catch {
      return true;
    }
    const kept = new Map<string, string>();
    for (const line of before.split('\n')) {
      if (!line.trim()) continue;
      try {
        const job = JSON.parse(line) as { id?: unknown };
        if (typeof job.id === 'string' && !ids.has(job.id)) kept.set(job.id, line);
      } catch {
        // a torn line: dropped with the rewrite
      }
    }
    const temp = `${this.file}.${process.pid}.prune`;
    fs.writeFileSync(temp, [...kept.values()].map((l) => l + '\n').join(''), { mode: 0o600 });
    if (fs.statSync(this.file).size !== Buffer.byteLength(before)) {
      fs.rmSync(temp, { force: true });
      return false;
    }
    fs.renameSync(temp, this.file);
    return true;
  }

  append(job: JobInfo): void {
    // Progress snapshots are large and transient; the index keeps the facts.
    const { progress: _progress, ...facts } = job;
    const fd = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify({ ...facts, owner: thisProcess() }) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * Is the job's process another one that still runs? The index is read when this process
 * starts, so a running job of this very process was left by an earlier core in it.
 */
function runsElsewhere(owner: ProcessIdentity | undefined): boolean {
  return owner !== undefined && !isThisProcess(owner) && processState(owner) === 'alive';
}
