import * as fs from 'node:fs';
import type { JobInfo } from './types';

/**
 * The durable list of jobs: one JSON line appended when a job starts and one when it
 * ends. A job whose last line says "running" was cut short by a crash and is reported as
 * interrupted. Torn or foreign lines are skipped, never fatal.
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
    const byId = new Map<string, JobInfo>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const job = JSON.parse(line) as JobInfo;
        if (typeof job.id === 'string' && typeof job.kind === 'string') byId.set(job.id, job);
      } catch {
        // A line torn by a crash mid-write.
      }
    }
    return [...byId.values()].map((job) =>
      job.status === 'running' ? { ...job, status: 'interrupted' as const } : job,
    );
  }

  append(job: JobInfo): void {
    // Progress snapshots are large and transient; the index keeps the facts.
    const { progress: _progress, ...facts } = job;
    const fd = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(facts) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
