import { create } from 'zustand';
import type { FleetEvent, JobInfo } from '../../src-main/core/api';
import { client } from '../client';
import { LogBuffer, parseLogFileLine } from '../components/LogViewer/log-buffer';

/** One job as the UI knows it: its facts and progress, and its log in a capped ring. */
export interface JobEntry {
  readonly info: JobInfo;
  /** Mutable ring of log lines; `logVersion` changes whenever it does. */
  readonly log: LogBuffer;
  readonly logVersion: number;
  /**
   * 'live': followed from its start; 'none': its log is not here yet (open() reads the
   * file); 'loading'/'loaded'/'error': reading the file.
   */
  readonly history: 'live' | 'none' | 'loading' | 'loaded' | 'error';
}

type JobEvent = Extract<FleetEvent, { type: 'job.created' | 'job.progress' | 'job.log' | 'job.status' }>;

interface JobsState {
  readonly jobs: Readonly<Record<string, JobEntry>>;
  /** Job ids, newest first. */
  readonly order: readonly string[];
  readonly listLoaded: boolean;
  readonly listError: string | null;
  /** Queue a job event; queued events are applied together once per animation frame. */
  apply(event: FleetEvent): void;
  /** Apply queued events now. */
  flush(): void;
  loadList(): Promise<void>;
  /** Make sure a job and its whole log are here (reads the log file for jobs not seen live). */
  open(jobId: string): Promise<void>;
  cancel(jobId: string): Promise<void>;
  startBuild(targets: readonly string[], concurrency?: number): Promise<string>;
  startFlakeCheck(): Promise<string>;
}

/** How many log lines a job keeps in the renderer; older ones drop (the file keeps all). */
export const logCapacity = 250_000;

let pending: JobEvent[] = [];
let scheduled = false;

function schedule(flush: () => void): void {
  if (scheduled) return;
  scheduled = true;
  const run = () => {
    scheduled = false;
    flush();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
  else setTimeout(run, 16);
}

function isJobEvent(event: FleetEvent): event is JobEvent {
  return event.type === 'job.created' || event.type === 'job.progress' || event.type === 'job.log' || event.type === 'job.status';
}

function newEntry(info: JobInfo, history: JobEntry['history']): JobEntry {
  return { info, log: new LogBuffer(logCapacity), logVersion: 0, history };
}

/** Jobs (builds, checks, deploys): fed by job.* events, at most one update per frame. */
export const useJobsStore = create<JobsState>((set, get) => ({
  jobs: {},
  order: [],
  listLoaded: false,
  listError: null,

  apply(event) {
    if (!isJobEvent(event)) return;
    pending.push(event);
    schedule(() => get().flush());
  },

  flush() {
    if (pending.length === 0) return;
    const events = pending;
    pending = [];
    const jobs: Record<string, JobEntry> = { ...get().jobs };
    let order = get().order;
    const touched = new Set<string>();
    for (const event of events) {
      switch (event.type) {
        case 'job.created':
          if (!jobs[event.job.id]) {
            jobs[event.job.id] = newEntry(event.job, 'live');
            order = [event.job.id, ...order.filter((id) => id !== event.job.id)];
          }
          break;
        case 'job.status': {
          const entry = jobs[event.job.id];
          jobs[event.job.id] = entry ? { ...entry, info: event.job } : newEntry(event.job, 'none');
          if (!order.includes(event.job.id)) order = [event.job.id, ...order];
          break;
        }
        case 'job.progress': {
          const entry = jobs[event.jobId];
          if (entry) jobs[event.jobId] = { ...entry, info: { ...entry.info, progress: event.progress } };
          break;
        }
        case 'job.log': {
          const entry = jobs[event.jobId];
          // A job not followed from its start gets its log from the file on open().
          if (!entry || (entry.history !== 'live' && entry.history !== 'loaded')) break;
          entry.log.pushLines(event.lines);
          touched.add(event.jobId);
          break;
        }
      }
    }
    for (const id of touched) {
      const entry = jobs[id];
      if (entry) jobs[id] = { ...entry, logVersion: entry.logVersion + 1 };
    }
    set({ jobs, order });
  },

  async loadList() {
    try {
      const list = await client().invoke('jobs.list', { limit: 200 });
      const jobs: Record<string, JobEntry> = { ...get().jobs };
      for (const info of list) {
        const entry = jobs[info.id];
        // Live entries know more (progress between snapshots); keep them.
        if (!entry) jobs[info.id] = newEntry(info, 'none');
        else if (entry.info.status === 'running' && info.status !== 'running') jobs[info.id] = { ...entry, info };
      }
      const known = new Set(list.map((j) => j.id));
      const order = [...get().order.filter((id) => !known.has(id)), ...list.map((j) => j.id)];
      order.sort((a, b) => (jobs[b]?.info.startedAt ?? 0) - (jobs[a]?.info.startedAt ?? 0));
      set({ jobs, order, listLoaded: true, listError: null });
    } catch (error) {
      set({ listLoaded: true, listError: (error as Error).message });
    }
  },

  async open(jobId) {
    // job.created travels before the reply that named this job: it may still be queued.
    get().flush();
    let entry = get().jobs[jobId];
    if (entry && entry.history !== 'none' && entry.history !== 'error') return;
    if (!entry) {
      const info = await client().invoke('jobs.get', { jobId });
      entry = newEntry(info, 'loading');
    } else {
      entry = { ...entry, history: 'loading' };
    }
    set({ jobs: { ...get().jobs, [jobId]: entry }, order: get().order.includes(jobId) ? get().order : [jobId, ...get().order] });
    try {
      // Events that reached us before this reply are in the file; later ones are new.
      const { lines } = await client().invoke('jobs.log', { jobId, max: Math.min(logCapacity, 200_000) });
      get().flush();
      const current = get().jobs[jobId] ?? entry;
      current.log.clear();
      for (const line of lines) {
        const { target, text } = parseLogFileLine(line);
        current.log.push(text, 'stdout', target);
      }
      set({ jobs: { ...get().jobs, [jobId]: { ...current, history: 'loaded', logVersion: current.logVersion + 1 } } });
    } catch {
      const current = get().jobs[jobId] ?? entry;
      set({ jobs: { ...get().jobs, [jobId]: { ...current, history: 'error' } } });
    }
  },

  async cancel(jobId) {
    await client().invoke('jobs.cancel', { jobId });
  },

  async startBuild(targets, concurrency) {
    const { jobId } = await client().invoke('build.start', { targets: [...targets], ...(concurrency ? { concurrency } : {}) });
    return jobId;
  },

  async startFlakeCheck() {
    const { jobId } = await client().invoke('flake.check', {});
    return jobId;
  },
}));

let unwire: (() => void) | undefined;

/**
 * Feed the jobs store from the core's events. Called once at start-up (wiring.ts);
 * safe to call again: it subscribes only once.
 */
export function wireJobsStore(): () => void {
  if (!unwire) {
    const off = client().subscribe((event) => {
      if (event.type === 'bridge.status' && event.connected) void useJobsStore.getState().loadList();
      else useJobsStore.getState().apply(event);
    });
    unwire = () => {
      off();
      unwire = undefined;
    };
  }
  return unwire;
}

/** One job's entry, re-rendering only when it changes. */
export function useJob(jobId: string | null | undefined): JobEntry | undefined {
  return useJobsStore((s) => (jobId ? s.jobs[jobId] : undefined));
}
