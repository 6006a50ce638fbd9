import { biggestSizeChanges, compareClosures } from './compare';
import { hostClosureWithRoot, hostMissingPaths, type HostExec } from './listing';
import type { ClosureDiff, ClosureEntry, PackageDiff } from './types';

/** One side of a closure diff: where it came from and whether it could be read. */
export interface ClosureSide {
  /** "moonlight (running)", "working tree", "generation 12", a store path... */
  readonly label: string;
  readonly source: 'host' | 'path' | 'revision' | 'working-tree';
  readonly storePath?: string;
  /** The build host it was built on (its store holds it, not this machine's); absent: built here. */
  readonly builtOn?: string;
  /** 'unknown' when it could not be read (host unreachable): the diff is then unknown too. */
  readonly state: 'ok' | 'unknown';
  readonly error?: string;
  readonly paths?: number;
  readonly bytes?: number;
}

/** `closure.diff`: what changes between two closures, or as much as is known. */
export interface ClosureDiffReport {
  readonly machine?: { readonly kind: 'system' | 'home' | 'droid'; readonly name: string };
  readonly old: ClosureSide;
  readonly new: ClosureSide;
  /** Absent when a side is unknown. */
  readonly diff?: ClosureDiff;
  /** The biggest growers and shrinkers, for the chart. */
  readonly chart?: { readonly growers: readonly PackageDiff[]; readonly shrinkers: readonly PackageDiff[] };
  readonly durationMs: number;
}

/** One side as listed: its closure's paths with their NAR sizes, and where it was built. */
export interface ListedSide {
  readonly label: string;
  readonly source: ClosureSide['source'];
  readonly storePath?: string;
  readonly builtOn?: string;
  readonly entries: readonly ClosureEntry[];
}

function sideOf({ label, source, storePath, builtOn, entries }: ListedSide): ClosureSide {
  return {
    label,
    source,
    ...(storePath ? { storePath } : {}),
    ...(builtOn ? { builtOn } : {}),
    state: 'ok',
    paths: entries.length,
    bytes: entries.reduce((sum, e) => sum + e.narSize, 0),
  };
}

/** Compare two listed closures into a report with the chart data. */
export function reportOf(
  oldSide: ListedSide,
  newSide: ListedSide,
  started: number,
  machine?: ClosureDiffReport['machine'],
): ClosureDiffReport {
  const diff = compareClosures(oldSide.entries, newSide.entries);
  return {
    ...(machine ? { machine } : {}),
    old: sideOf(oldSide),
    new: sideOf(newSide),
    diff,
    chart: biggestSizeChanges(diff),
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Compare a built closure with what a host runs, listing the host's closure in one
 * command over the connection `connect` opens. An unreachable host gives an "unknown" old side (and no diff), not
 * an error: the deploy can still go ahead, it just cannot say what it will copy.
 */
export async function diffAgainstHost(
  connect: () => Promise<HostExec>,
  hostLabel: string,
  newSide: ListedSide & { readonly storePath: string },
  options: { readonly hostPath?: string; readonly machine?: ClosureDiffReport['machine'] } = {},
): Promise<ClosureDiffReport> {
  const started = performance.now();
  const hostPath = options.hostPath ?? '/run/current-system';
  let hostEntries: ClosureEntry[];
  let resolved: string | undefined;
  let exec: HostExec;
  try {
    exec = await connect();
    ({ entries: hostEntries, root: resolved } = await hostClosureWithRoot(exec, hostPath));
  } catch (error) {
    return {
      ...(options.machine ? { machine: options.machine } : {}),
      old: { label: hostLabel, source: 'host', storePath: hostPath, state: 'unknown', error: (error as Error).message },
      new: sideOf(newSide),
      durationMs: Math.round(performance.now() - started),
    };
  }
  // The path the host's profile link points at (a NixOS system also holds home-manager
  // generations, so no name pattern can tell which path is the top).
  const report = reportOf(
    { label: hostLabel, source: 'host', ...(resolved ? { storePath: resolved } : {}), entries: hostEntries },
    newSide,
    started,
    options.machine,
  );
  // The host may already hold some new paths (older generations, earlier copies): ask its store.
  const inClosure = new Set(hostEntries.map((e) => e.path));
  const candidates = newSide.entries.filter((e) => !inClosure.has(e.path));
  const missing = await hostMissingPaths(exec, candidates.map((e) => e.path));
  if (!missing || !report.diff) return report;
  const lacking = candidates.filter((e) => missing.has(e.path));
  return {
    ...report,
    diff: { ...report.diff, download: { paths: lacking.length, bytes: lacking.reduce((sum, e) => sum + e.narSize, 0), exact: true } },
    durationMs: Math.round(performance.now() - started),
  };
}
