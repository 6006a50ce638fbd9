import { useEffect, useRef, useState } from 'react';
import type { ClosureDiffReport } from '../../../src-main/core/api';
import { client } from '../../client';
import { useInventoryStore } from '../../stores/inventory';
import { useJobsStore, wireJobsStore } from '../../stores/jobs';
import { checkoutKey, diffsToStart, type HostDiffRun } from './summary';

/** Closure diffs running at once: each builds a system and lists a host over SSH. */
export const diffsAtOnce = 2;

function runKey(machine: string, checkout: string): string {
  return `${machine}\n${checkout}`;
}

/**
 * "The checkout as it is now", fetched again whenever the inventory is rescanned (the file
 * watcher saw an edit): a diff of an older state must not be shown for the new one.
 */
function useCheckoutKey(): string | null {
  const revision = useInventoryStore((s) => s.inventory?.revision);
  const [key, setKey] = useState<string | null>(null);
  useEffect(() => {
    // The inventory store hears the watcher's rescans once it has loaded (screens other than Systems may not have).
    if (!useInventoryStore.getState().inventory) void useInventoryStore.getState().load();
  }, []);
  useEffect(() => {
    let live = true;
    client()
      .invoke('git.changes', {})
      .then((changes) => live && setKey(checkoutKey(changes)))
      // Not a git checkout: the inventory's revision is the best we know.
      .catch(() => live && setKey(`no-git#${revision ?? 0}`));
    return () => {
      live = false;
    };
  }, [revision]);
  return key;
}

/**
 * Closure diffs of `machines` (system names) against their running hosts, for the life of
 * the calling component: at most `diffsAtOnce` jobs at a time, a finished result reused for
 * the same machine and checkout state, running jobs cancelled when the component goes.
 */
export function useHostDiffs(machines: readonly string[]): Readonly<Record<string, HostDiffRun>> {
  const checkout = useCheckoutKey();
  const [runs, setRuns] = useState<Readonly<Record<string, HostDiffRun>>>({});
  const started = useRef(new Set<string>());
  const running = useRef(new Map<string, string>());
  const gone = useRef(false);
  const order = checkout === null ? [] : machines.map((m) => runKey(m, checkout));
  const orderKey = order.join('\0');

  // New machine or new checkout state: queue what has no result yet.
  useEffect(() => {
    if (order.length === 0) return;
    setRuns((current) => {
      const missing = order.filter((k) => !current[k]);
      if (missing.length === 0) return current;
      const next = { ...current };
      for (const k of missing) next[k] = { state: 'queued' };
      return next;
    });
  }, [orderKey]);

  // Start queued diffs while fewer than `diffsAtOnce` run.
  useEffect(() => {
    const toStart = diffsToStart(order, runs, diffsAtOnce).filter((k) => !started.current.has(k));
    if (toStart.length === 0) return;
    wireJobsStore();
    for (const key of toStart) started.current.add(key);
    setRuns((current) => {
      const next = { ...current };
      for (const k of toStart) next[k] = { state: 'starting' };
      return next;
    });
    for (const key of toStart) {
      const machine = key.slice(0, key.indexOf('\n'));
      client()
        .invoke('closure.diff', { machine })
        .then(({ jobId }) => {
          // Closed while the request was on its way: nobody will read this diff.
          if (gone.current) return void client().invoke('jobs.cancel', { jobId }).catch(() => undefined);
          running.current.set(key, jobId);
          setRuns((current) => ({ ...current, [key]: { state: 'running', jobId } }));
        })
        .catch((error: Error) => setRuns((current) => ({ ...current, [key]: { state: 'failed', error: error.message } })));
    }
  }, [runs, orderKey]);

  // A job's status changed: take its result. The selector is a string so only status changes re-render.
  const jobIds = Object.values(runs).flatMap((r) => (r.state === 'running' ? [r.jobId] : []));
  const statuses = useJobsStore((s) => jobIds.map((id) => s.jobs[id]?.info.status ?? 'unseen').join(','));
  useEffect(() => {
    const jobs = useJobsStore.getState().jobs;
    const ended: Record<string, HostDiffRun> = {};
    for (const [key, run] of Object.entries(runs)) {
      if (run.state !== 'running') continue;
      const info = jobs[run.jobId]?.info;
      if (!info || info.status === 'running') continue;
      running.current.delete(key);
      ended[key] =
        info.status === 'succeeded' && info.result
          ? { state: 'done', report: info.result as ClosureDiffReport }
          : { state: 'failed', error: info.error?.message ?? `The closure diff ended: ${info.status}.` };
    }
    if (Object.keys(ended).length > 0) setRuns((current) => ({ ...current, ...ended }));
  }, [statuses, runs]);

  // The sheet closed: the deploy builds for itself, so unfinished diffs only cost time.
  useEffect(
    () => () => {
      gone.current = true;
      for (const jobId of running.current.values()) void client().invoke('jobs.cancel', { jobId }).catch(() => undefined);
    },
    [],
  );

  const byMachine: Record<string, HostDiffRun> = {};
  if (checkout !== null) for (const m of machines) byMachine[m] = runs[runKey(m, checkout)] ?? { state: 'queued' };
  return byMachine;
}
