import { create, type StoreApi, type UseBoundStore } from 'zustand';
import type { FleetEvent, HostStatus, SinceDeployedReport } from '../../src-main/core/api';
import { client, type FleetClient } from '../client';

/** What the host status store needs from the core: commands and the event stream. */
export type HostStatusClient = Pick<FleetClient, 'invoke' | 'subscribe'>;

/** Commits between what a host runs and HEAD, from `changes.sinceDeployed`, per host and revision pair. */
export type SinceDeployed = { readonly state: 'loading' } | { readonly state: 'done'; readonly report: SinceDeployedReport } | { readonly state: 'error'; readonly message: string };

export interface HostStatusState {
  /** The newest status of each deploy target (system name, home:<user>@<host>). */
  readonly byTarget: Readonly<Record<string, HostStatus>>;
  /** Targets whose status is being read now (a row shows "checking…"). */
  readonly checking: Readonly<Record<string, true>>;
  /** Targets in a running deploy, with its job id. */
  readonly deploying: Readonly<Record<string, string>>;
  /** Why the last status check failed as a whole (no checkout, bad target...) or could not compare with the checkout (no nix). */
  readonly error: string | null;
  /** The checkout the statuses belong to (the first check of a checkout happens by itself). */
  readonly checkedRoot: string | null;
  /** since-deployed reports keyed by `${host} ${revision} ${head}`. */
  readonly since: Readonly<Record<string, SinceDeployed>>;
  /**
   * Read the status of these targets (default: every system) over SSH, without blocking
   * anything: the targets show "checking…" until the answer (or a deploy.hosts event) comes.
   */
  check(targets?: readonly string[], options?: { readonly expect?: readonly string[]; readonly root?: string }): Promise<void>;
  /** Ask the git domain which commits a host is behind HEAD (a job; cached per revision pair). */
  sinceDeployed(host: string, revision: string, head: string): void;
  /** Apply a core event (deploy.hosts, deploy.started, deploy.finished, checkout.changed, job.status). */
  apply(event: FleetEvent): void;
}

/** Add or remove keys of a record without touching the other entries (rows re-render only for theirs). */
function without<T>(record: Readonly<Record<string, T>>, keys: Iterable<string>): Record<string, T> {
  const next = { ...record };
  for (const key of keys) delete next[key];
  return next;
}

/** Merge fresh statuses: unchanged hosts keep their object, so their rows do not re-render. */
function merge(current: Readonly<Record<string, HostStatus>>, hosts: readonly HostStatus[]): Record<string, HostStatus> {
  const next = { ...current };
  for (const host of hosts) {
    // A status check without evaluation does not know "out of date"; keep the last known answer for the same system.
    const old = current[host.target];
    const keepWanted = host.wantedSystem === undefined && old?.wantedSystem !== undefined && old.currentSystem === host.currentSystem;
    next[host.target] = keepWanted ? { ...host, wantedSystem: old.wantedSystem, ...(old.outOfDate !== undefined ? { outOfDate: old.outOfDate } : {}) } : host;
  }
  return next;
}

/**
 * Create a host status store bound to a client. It follows the deploy events for the life
 * of the page once wired (`wire()`), like the stores wired at start-up.
 */
export function createHostStatusStore(source: () => HostStatusClient): UseBoundStore<StoreApi<HostStatusState>> & { wire(): void } {
  let unsubscribe: (() => void) | undefined;
  // since-deployed jobs in flight: job id -> cache key.
  const sinceJobs = new Map<string, string>();
  const store = create<HostStatusState>()((set, get) => ({
    byTarget: {},
    checking: {},
    deploying: {},
    error: null,
    checkedRoot: null,
    since: {},

    async check(targets, options) {
      const marked = options?.expect ?? targets ?? [];
      set((s) => ({ checking: { ...s.checking, ...Object.fromEntries(marked.map((t) => [t, true as const])) }, ...(options?.root ? { checkedRoot: options.root } : {}) }));
      const named = targets && targets.length > 0 ? { targets: [...targets] } : {};
      const done = (hosts: readonly HostStatus[], error: string | null) =>
        set((s) => ({ byTarget: merge(s.byTarget, hosts), checking: without(s.checking, [...marked, ...hosts.map((h) => h.target)]), error }));
      try {
        done(await source().invoke('deploy.status', named), null);
      } catch (error) {
        // Comparing with the checkout needs nix; without it (or with a broken flake) the hosts still answer.
        try {
          done(await source().invoke('deploy.status', { ...named, evaluate: false }), `Not compared with the checkout: ${(error as Error).message}`);
        } catch (again) {
          set((s) => ({ checking: without(s.checking, marked), error: (again as Error).message }));
        }
      }
    },

    sinceDeployed(host, revision, head) {
      const key = `${host} ${revision} ${head}`;
      if (get().since[key]) return;
      set((s) => ({ since: { ...s.since, [key]: { state: 'loading' } } }));
      source()
        .invoke('changes.sinceDeployed', { host })
        .then(({ jobId }) => {
          sinceJobs.set(jobId, key);
          // The job may have ended before its job.status event could be matched.
          return source()
            .invoke('jobs.get', { jobId })
            .then((info) => get().apply({ type: 'job.status', job: info }));
        })
        .catch((error: Error) => set((s) => ({ since: { ...s.since, [key]: { state: 'error', message: error.message } } })));
    },

    apply(event) {
      switch (event.type) {
        case 'deploy.hosts':
          set((s) => ({ byTarget: merge(s.byTarget, event.hosts), checking: without(s.checking, event.hosts.map((h) => h.target)) }));
          return;
        case 'deploy.started':
          set((s) => ({ deploying: { ...s.deploying, ...Object.fromEntries(event.targets.map((t) => [t, event.jobId])) } }));
          return;
        case 'deploy.finished': {
          const targets = event.outcomes.map((o) => o.target);
          const at = Date.now();
          set((s) => {
            const byTarget = { ...s.byTarget };
            // The outcome is known now; the host's new generation comes with the re-check below.
            for (const o of event.outcomes) {
              const old = byTarget[o.target];
              if (old) byTarget[o.target] = { ...old, lastDeploy: { id: event.deployId, status: event.status === 'interrupted' ? 'interrupted' : o.status, at } };
            }
            const deploying = Object.fromEntries(Object.entries(s.deploying).filter(([, jobId]) => jobId !== event.jobId));
            return { byTarget, deploying };
          });
          if (targets.length > 0) void get().check(targets);
          return;
        }
        case 'job.status': {
          const key = sinceJobs.get(event.job.id);
          if (!key || event.job.status === 'running') return;
          sinceJobs.delete(event.job.id);
          const entry: SinceDeployed =
            event.job.status === 'succeeded' && event.job.result
              ? { state: 'done', report: event.job.result as SinceDeployedReport }
              : { state: 'error', message: event.job.error?.message ?? `the comparison ${event.job.status}` };
          set((s) => ({ since: { ...s.since, [key]: entry } }));
          return;
        }
        case 'checkout.changed':
          set({ byTarget: {}, checking: {}, deploying: {}, error: null, checkedRoot: null, since: {} });
          return;
        default:
          return;
      }
    },
  }));
  return Object.assign(store, {
    wire() {
      unsubscribe ??= source().subscribe((event) => store.getState().apply(event));
    },
  });
}

/** The app's host status store: online, generation, revision, out of date, per deploy target. */
export const useHostStatusStore = createHostStatusStore(() => client());
