import type { FleetEvent, JobInfo } from '../core/api';

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
  /** Hosts that run something else than the checkout builds (from the last status check), for "Deploy all out-of-date". */
  readonly outOfDate: readonly string[];
  /** Hosts whose booted kernel, initrd or modules are not their current system's (from the last status check). */
  readonly needsReboot?: readonly string[];
  /** One-line outcome of recent deploys, by job id ("2 deployed, moonlight rolled back to generation 4"). */
  readonly deploySummaries: Readonly<Record<string, string>>;
}

/** A native notification to show. `jobId` lets a click open that job. */
export interface NotificationSpec {
  readonly title: string;
  readonly body: string;
  readonly jobId: string;
  readonly urgent: boolean;
}

export const initialTrayState: TrayState = { status: 'idle', tooltip: 'Homelab Fleet: idle', running: [], recent: [], outOfDate: [], deploySummaries: {} };

/** Kinds whose end is announced by the richer `deploy.finished` event instead of `job.status`. */
const deployKinds = new Set(['deploy', 'rollback', 'reboot']);

const notifyKinds = new Set(['deploy', 'build', 'rollback', 'reboot', 'flake-check']);

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
      if (notifyKinds.has(job.kind) && !deployKinds.has(job.kind) && job.status !== 'cancelled') {
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
    case 'deploy.finished': {
      const only = event.reboot === 'only';
      const summary = deploySummary(event.outcomes, only ? 'rebooted' : 'deployed');
      const deploySummaries = Object.fromEntries(
        [[event.jobId, summary] as const, ...Object.entries(state.deploySummaries).filter(([id]) => id !== event.jobId)].slice(0, 8),
      );
      // A host deployed now is no longer out of date; one that failed keeps its place.
      const deployed = new Set(event.outcomes.filter((o) => o.status === 'succeeded').map((o) => o.target));
      const outOfDate = state.outOfDate.filter((t) => !deployed.has(t));
      // A host back from a reboot on its boot default no longer needs one.
      const rebooted = new Set(event.outcomes.filter((o) => o.status === 'succeeded' && o.reboot?.result === 'came-back').map((o) => o.target));
      const next = { ...state, deploySummaries, outOfDate, ...(state.needsReboot ? { needsReboot: state.needsReboot.filter((t) => !rebooted.has(t)) } : {}) };
      if (event.status === 'cancelled') return { state: next, notifications: [] };
      const ok = event.status === 'succeeded';
      return {
        state: next,
        notifications: [{ title: only ? (ok ? 'Reboot finished' : 'Reboot failed') : ok ? 'Deploy finished' : 'Deploy failed', body: summary, jobId: event.jobId, urgent: !ok }],
      };
    }
    case 'deploy.hosts': {
      const outOfDate = event.hosts.filter((h) => h.online && h.outOfDate === true).map((h) => h.target);
      const needsReboot = event.hosts.filter((h) => h.online && h.needsReboot === true).map((h) => h.target);
      return { state: { ...state, outOfDate, needsReboot }, notifications: [] };
    }
    default:
      return { state, notifications: [] };
  }
}

/** "2 deployed; 1 already up to date; moonlight rolled back to generation 4; zephyrus skipped (offline: ...)". */
export function deploySummary(
  outcomes: readonly { readonly target: string; readonly status: string; readonly message?: string; readonly upToDate?: boolean }[],
  done: 'deployed' | 'rebooted' = 'deployed',
): string {
  const ok = outcomes.filter((o) => o.status === 'succeeded' && !o.upToDate).length;
  const same = outcomes.filter((o) => o.status === 'succeeded' && o.upToDate).length;
  const parts = [...(ok > 0 ? [`${ok} ${done}`] : []), ...(same > 0 ? [`${same} already up to date`] : [])];
  for (const o of outcomes) {
    if (o.status === 'succeeded') continue;
    parts.push(o.status === 'rolled-back' ? `${o.target} ${o.message ?? 'rolled back'}` : `${o.target} ${o.status}${o.message ? ` (${o.message})` : ''}`);
  }
  return parts.join('; ') || `nothing ${done}`;
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

function recentLabel(state: TrayState, job: JobInfo): string {
  const summary = state.deploySummaries[job.id];
  const label = `${job.title}: ${job.status}${summary && job.status !== 'succeeded' ? ` (${summary})` : ''}`;
  return label.length > 80 ? `${label.slice(0, 79)}…` : label;
}

/** The targets the "deploy-out-of-date" menu item deploys (the shell runs deploy.start with them). */
export function outOfDateTargets(state: TrayState): readonly string[] {
  return state.outOfDate;
}

function seconds(job: JobInfo): string {
  return job.finishedAt ? `${((job.finishedAt - job.startedAt) / 1000).toFixed(1)} s` : '?';
}

/** The tray menu for a state; ids are handled by the shell. */
export function trayMenu(state: TrayState, windowVisible: boolean): TrayMenuItem[] {
  return [
    { id: 'toggle-window', label: windowVisible ? 'Hide Homelab Fleet' : 'Show Homelab Fleet', enabled: true },
    ...state.running.map((j) => ({ id: `job:${j.id}`, label: `Running: ${j.title}`, enabled: true })),
    ...state.recent.slice(0, 5).map((j) => ({ id: `job:${j.id}`, label: recentLabel(state, j), enabled: true })),
    {
      id: 'deploy-out-of-date',
      label: state.outOfDate.length > 0 ? `Deploy all out-of-date (${state.outOfDate.length})` : 'Deploy all out-of-date (none)',
      enabled: state.outOfDate.length > 0 && !state.running.some((j) => deployKinds.has(j.kind)),
    },
    // One line per host whose kernel is older than its system's; a click opens that host (its Reboot button is there).
    ...(state.needsReboot ?? []).slice(0, 5).map((name) => ({ id: `host:${name}`, label: `Reboot needed: ${name}`, enabled: true })),
    ...((state.needsReboot ?? []).length > 5 ? [{ id: 'reboot-needed-more', label: `Reboot needed: ${(state.needsReboot ?? []).length - 5} more hosts`, enabled: false }] : []),
    { id: 'quit', label: 'Quit', enabled: true },
  ];
}
