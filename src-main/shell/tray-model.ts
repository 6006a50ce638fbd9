import type { FleetEvent } from '../core/events';
import type { JobInfo } from '../core/jobs/types';

/** What the tray icon shows: the app is idle, working, or how the last job ended. */
export type TrayStatus = 'idle' | 'running' | 'succeeded' | 'failed';

export interface TrayMenuItem {
  readonly id: string;
  readonly label: string;
  readonly enabled: boolean;
}

export interface TrayState {
  readonly status: TrayStatus;
  readonly tooltip: string;
  readonly running: readonly JobInfo[];
  readonly recent: readonly JobInfo[];
}

/** A native notification to show. `jobId` lets a click open that job. */
export interface NotificationSpec {
  readonly title: string;
  readonly body: string;
  readonly jobId: string;
  readonly urgent: boolean;
}

export const initialTrayState: TrayState = { status: 'idle', tooltip: 'Homelab Fleet: idle', running: [], recent: [] };

const notifyKinds = new Set(['deploy', 'droid-deploy', 'build', 'rollback', 'flake-check']);

/**
 * The tray's state after one event: a pure function of the job events, so every
 * sequence can be tested without Electron. Also returns the notifications to show.
 */
export function reduceTray(state: TrayState, event: FleetEvent): { state: TrayState; notifications: NotificationSpec[] } {
  switch (event.type) {
    case 'job.created': {
      const running = [...state.running.filter((j) => j.id !== event.job.id), event.job];
      return { state: withStatus({ ...state, running }), notifications: [] };
    }
    case 'job.status': {
      const job = event.job;
      if (job.status === 'running') return { state, notifications: [] };
      const running = state.running.filter((j) => j.id !== job.id);
      const recent = [job, ...state.recent.filter((j) => j.id !== job.id)].slice(0, 8);
      const notifications: NotificationSpec[] = [];
      if (notifyKinds.has(job.kind) && job.status !== 'cancelled') {
        const ok = job.status === 'succeeded';
        notifications.push({
          title: `${job.title}: ${ok ? 'done' : job.status}`,
          body: ok ? `Finished in ${seconds(job)}.` : (job.error?.message ?? `The job ${job.status}.`),
          jobId: job.id,
          urgent: !ok,
        });
      }
      return { state: withStatus({ ...state, running, recent }, job), notifications };
    }
    default:
      return { state, notifications: [] };
  }
}

function withStatus(state: TrayState, last?: JobInfo): TrayState {
  if (state.running.length > 0) {
    const titles = state.running.map((j) => j.title).join(', ');
    return { ...state, status: 'running', tooltip: `Homelab Fleet: running ${titles}` };
  }
  const latest = last ?? state.recent[0];
  if (!latest) return { ...state, status: 'idle', tooltip: 'Homelab Fleet: idle' };
  const failed = latest.status === 'failed' || latest.status === 'interrupted';
  return {
    ...state,
    status: failed ? 'failed' : latest.status === 'succeeded' ? 'succeeded' : 'idle',
    tooltip: `Homelab Fleet: ${latest.title} ${latest.status}`,
  };
}

function seconds(job: JobInfo): string {
  return job.finishedAt ? `${((job.finishedAt - job.startedAt) / 1000).toFixed(1)} s` : '?';
}

/** The tray menu for a state; ids are handled by the shell. */
export function trayMenu(state: TrayState, windowVisible: boolean): TrayMenuItem[] {
  return [
    { id: 'toggle-window', label: windowVisible ? 'Hide Homelab Fleet' : 'Show Homelab Fleet', enabled: true },
    ...state.running.map((j) => ({ id: `job:${j.id}`, label: `Running: ${j.title}`, enabled: true })),
    ...state.recent.slice(0, 5).map((j) => ({ id: `job:${j.id}`, label: `${j.title}: ${j.status}`, enabled: true })),
    { id: 'quit', label: 'Quit', enabled: true },
  ];
}
