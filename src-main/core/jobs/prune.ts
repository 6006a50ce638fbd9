import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobInfo } from './types';

/** How much job history the data folder keeps (settings.jobRetention). */
export interface JobRetention {
  /** Finished jobs older than this many days are forgotten, log and all. */
  readonly days: number;
  /** The newest job logs are kept up to this many MiB in all; older ones go. */
  readonly maxMegabytes: number;
}

export const defaultJobRetention: JobRetention = { days: 30, maxMegabytes: 512 };

/**
 * Which finished jobs to forget so the data folder stays bounded: newest first, a job is
 * kept while it is younger than `days` and the logs kept so far (its own included) fit in
 * `maxMegabytes`. Running jobs are never forgotten. Pure apart from reading log sizes.
 */
export function jobsToForget(jobs: readonly JobInfo[], retention: JobRetention, now = Date.now()): JobInfo[] {
  const oldest = now - retention.days * 24 * 60 * 60 * 1000;
  const budget = retention.maxMegabytes * 1024 * 1024;
  let used = 0;
  const forget: JobInfo[] = [];
  for (const job of [...jobs].sort((a, b) => b.startedAt - a.startedAt)) {
    if (job.status === 'running') continue;
    const size = fs.statSync(job.logFile, { throwIfNoEntry: false })?.size ?? 0;
    if ((job.finishedAt ?? job.startedAt) < oldest || used + size > budget) {
      forget.push(job);
      continue;
    }
    used += size;
  }
  return forget;
}

/**
 * Delete the logs of forgotten jobs, and logs no job of the index names any more (left by a
 * crash between the two) once they are older than the retention.
 */
export function removeJobLogs(logDir: string, forgotten: readonly JobInfo[], known: ReadonlySet<string>, retention: JobRetention, now = Date.now()): void {
  for (const job of forgotten) {
    if (path.dirname(job.logFile) === logDir) fs.rmSync(job.logFile, { force: true });
  }
  let names: string[];
  try {
    names = fs.readdirSync(logDir);
  } catch {
    return;
  }
  const oldest = now - retention.days * 24 * 60 * 60 * 1000;
  for (const name of names) {
    const file = path.join(logDir, name);
    if (known.has(file) || !name.endsWith('.log')) continue;
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat && stat.isFile() && stat.mtimeMs < oldest) fs.rmSync(file, { force: true });
  }
}
