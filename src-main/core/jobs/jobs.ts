import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FleetError, toWireError } from '../contract';
import type { EventBus } from '../events';
import type { JobInfo, JobProgress, JobStatus, LogLine, LogStream } from './types';
import { JobIndex } from './job-index';
import { defaultJobRetention, jobsToForget, removeJobLogs, type JobRetention } from './prune';
import { readLogLines } from './read-log';

/** What a running job can do: log, report progress, and notice cancellation. */
export interface JobContext {
  readonly id: string;
  readonly signal: AbortSignal;
  readonly logFile: string;
  log(text: string, stream?: LogStream, target?: string): void;
  progress(progress: JobProgress): void;
  /** Throws a FleetError('cancelled') when the job was cancelled. */
  throwIfCancelled(): void;
}

export interface JobSpec {
  readonly kind: string;
  readonly title: string;
  readonly targets?: readonly string[];
  readonly root?: string;
}

const logFlushMs = 75;
const logEventMaxLines = 1000;
const progressMinIntervalMs = 50;

interface RunningJob {
  info: JobInfo;
  readonly controller: AbortController;
  readonly fd: number;
  readonly startedAt: number;
  pendingLines: LogLine[];
  flushTimer?: NodeJS.Timeout;
  pendingProgress?: JobProgress;
  progressTimer?: NodeJS.Timeout;
  lastProgressAt: number;
  readonly done: Promise<JobInfo>;
}

/**
 * Runs long work as jobs: an id, an AbortController, a log file written as it streams
 * (a crash keeps what was written), log lines batched and progress throttled before they
 * become events, and a durable index so finished jobs can be read back after a restart.
 */
export class Jobs {
  private readonly running = new Map<string, RunningJob>();
  private readonly finished = new Map<string, JobInfo>();
  private readonly index: JobIndex;
  private readonly logDir: string;

  constructor(
    dataDir: string,
    private readonly events: EventBus,
    private readonly retention: () => JobRetention = () => defaultJobRetention,
  ) {
    this.logDir = path.join(dataDir, 'logs');
    fs.mkdirSync(this.logDir, { recursive: true });
    this.index = new JobIndex(path.join(dataDir, 'jobs.jsonl'));
    for (const job of this.index.load()) this.finished.set(job.id, job);
    this.prune();
  }

  /**
   * Forget finished jobs beyond the retention (settings.jobRetention): their logs and index
   * lines go, so the data folder stays bounded. Runs at start-up and after every job.
   */
  prune(): void {
    try {
      const retention = this.retention();
      const forget = jobsToForget([...this.finished.values()], retention);
      const ids = new Set(forget.map((j) => j.id));
      if (!this.index.forget(ids)) return;
      for (const id of ids) this.finished.delete(id);
      const known = new Set([...this.finished.values(), ...[...this.running.values()].map((j) => j.info)].map((j) => j.logFile));
      removeJobLogs(this.logDir, forget, known, retention);
    } catch {
      // Pruning is housekeeping: a failure (a read-only folder) never stops a job.
    }
  }

  /** Start `run` as a job; returns at once. The job's result ends up in its JobInfo. */
  start<R>(spec: JobSpec, run: (ctx: JobContext) => Promise<R>): JobInfo {
    const id = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${spec.kind}-${randomBytes(3).toString('hex')}`;
    const logFile = path.join(this.logDir, `${id}.log`);
    const fd = fs.openSync(logFile, 'a', 0o600);
    const startedAt = Date.now();
    const info: JobInfo = {
      id,
      kind: spec.kind,
      title: spec.title,
      targets: spec.targets ?? [],
      status: 'running',
      startedAt,
      logFile,
      ...(spec.root ? { root: spec.root } : {}),
    };
    const controller = new AbortController();
    let resolveDone!: (info: JobInfo) => void;
    const done = new Promise<JobInfo>((resolve) => (resolveDone = resolve));
    const job: RunningJob = { info, controller, fd, startedAt, pendingLines: [], lastProgressAt: 0, done };
    this.running.set(id, job);
    this.index.append(info);
    this.events.emit({ type: 'job.created', job: info });

    const ctx: JobContext = {
      id,
      signal: controller.signal,
      logFile,
      log: (text, stream = 'stdout', target) => this.log(job, text, stream, target),
      progress: (progress) => this.progress(job, progress),
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new FleetError('cancelled', 'Cancelled.');
      },
    };

    // Run on the next tick so the caller gets the job id before any event of the work.
    setImmediate(() => {
      run(ctx).then(
        (result) => resolveDone(this.finish(job, controller.signal.aborted ? 'cancelled' : 'succeeded', { result })),
        (error: unknown) => {
          const status: JobStatus = controller.signal.aborted ? 'cancelled' : 'failed';
          const wire = toWireError(error);
          this.log(job, status === 'cancelled' ? 'Cancelled.' : `Failed: ${wire.message}`, 'error');
          resolveDone(this.finish(job, status, { error: wire }));
        },
      );
    });
    return info;
  }

  /** Ask a job to stop. Its work sees the abort signal and kills its processes. */
  cancel(id: string): boolean {
    const job = this.running.get(id);
    if (!job) return false;
    this.log(job, 'Cancel requested.', 'info');
    job.controller.abort(new FleetError('cancelled', 'Cancelled.'));
    return true;
  }

  /** Resolves when the job has finished (whatever its status). */
  async wait(id: string): Promise<JobInfo> {
    const job = this.running.get(id);
    if (job) return job.done;
    const info = this.finished.get(id);
    if (!info) throw new FleetError('not-found', `No job with id ${id}.`);
    return info;
  }

  get(id: string): JobInfo | undefined {
    return this.running.get(id)?.info ?? this.finished.get(id);
  }

  /** Running jobs first, then finished ones, newest first. */
  list(limit = 200): JobInfo[] {
    const running = [...this.running.values()].map((j) => j.info);
    const done = [...this.finished.values()].sort((a, b) => b.startedAt - a.startedAt);
    return [...running, ...done].slice(0, limit);
  }

  /**
   * Read a job's log back from its file, from line `from` (0-based), at most `max` lines.
   * The file is streamed: only the lines asked for are held, whatever the log's size.
   */
  async readLog(id: string, from = 0, max = 5000): Promise<{ lines: string[]; total: number }> {
    const info = this.get(id);
    if (!info) throw new FleetError('not-found', `No job with id ${id}.`);
    const job = this.running.get(id);
    if (job) this.flush(job);
    return readLogLines(info.logFile, from, max);
  }

  /** Cancel everything and wait for the jobs to wind down (app quitting). */
  async dispose(): Promise<void> {
    const pending = [...this.running.values()].map((j) => j.done);
    for (const id of this.running.keys()) this.cancel(id);
    await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, 5000))]);
  }

  private log(job: RunningJob, text: string, stream: LogStream, target?: string): void {
    const t = Date.now() - job.startedAt;
    for (const line of text.split('\n')) {
      job.pendingLines.push(target ? { t, stream, text: line, target } : { t, stream, text: line });
    }
    job.flushTimer ??= setTimeout(() => this.flush(job), logFlushMs);
  }

  private flush(job: RunningJob): void {
    if (job.flushTimer) clearTimeout(job.flushTimer);
    job.flushTimer = undefined;
    if (job.pendingLines.length === 0) return;
    const lines = job.pendingLines;
    job.pendingLines = [];
    const text = lines.map((l) => formatLogLine(l)).join('\n') + '\n';
    try {
      fs.writeSync(job.fd, text);
    } catch {
      // The log file is best effort; the events still reach the UI.
    }
    // A fast builder can produce thousands of lines per batch: send them in slices so the
    // page parses and renders them between frames instead of in one long task.
    for (let i = 0; i < lines.length; i += logEventMaxLines) {
      this.events.emit({ type: 'job.log', jobId: job.info.id, lines: lines.slice(i, i + logEventMaxLines) });
    }
  }

  private progress(job: RunningJob, progress: JobProgress): void {
    job.pendingProgress = progress;
    const wait = job.lastProgressAt + progressMinIntervalMs - Date.now();
    if (wait <= 0) {
      this.emitProgress(job);
    } else {
      job.progressTimer ??= setTimeout(() => this.emitProgress(job), wait);
    }
  }

  private emitProgress(job: RunningJob): void {
    if (job.progressTimer) clearTimeout(job.progressTimer);
    job.progressTimer = undefined;
    const progress = job.pendingProgress;
    if (!progress) return;
    job.pendingProgress = undefined;
    job.lastProgressAt = Date.now();
    job.info = { ...job.info, progress };
    this.events.emit({ type: 'job.progress', jobId: job.info.id, progress });
  }

  private finish(job: RunningJob, status: JobStatus, outcome: { result?: unknown; error?: JobInfo['error'] }): JobInfo {
    this.emitProgress(job);
    this.flush(job);
    try {
      fs.closeSync(job.fd);
    } catch {
      // already closed
    }
    const info: JobInfo = {
      ...job.info,
      status,
      finishedAt: Date.now(),
      ...(outcome.result !== undefined ? { result: outcome.result } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    this.running.delete(info.id);
    this.finished.set(info.id, info);
    this.index.append(info);
    this.events.emit({ type: 'job.status', job: info });
    this.prune();
    return info;
  }
}

/** One log line as written to the log file: the target prefixes it so files stay readable. */
export function formatLogLine(line: LogLine): string {
  const prefix = line.target ? `[${line.target}] ` : '';
  return `${prefix}${line.text}`;
}
