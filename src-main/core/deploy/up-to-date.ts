import { assertNever } from '../contract';
import { hostKindOf, type TargetRun } from './target-run';
import type { DeployMode } from './types';

/** What pre-flight read on the host, against what the deploy would put there. */
export interface HostState {
  readonly kind: 'system' | 'home';
  /** What runs now: /run/current-system (a home: where its profile points). */
  readonly current?: string;
  /** Where the system profile points (the next boot's default); a home's is `current`. */
  readonly profile?: string;
}

/**
 * Does deploying `outPath` in `mode` change nothing on the host? switch: it runs it and its
 * profile points at it; test: it runs it; boot: its profile points at it (the boot entry is
 * that generation's); a home: its profile points at it. dry-activate always runs: printing
 * what would change is what it is for.
 */
export function alreadyUpToDate(mode: DeployMode, outPath: string, host: HostState): boolean {
  const runs = host.current === outPath;
  const profile = (host.kind === 'home' ? host.current : host.profile) === outPath;
  if (host.kind === 'home') return mode !== 'dry-activate' && profile;
  switch (mode) {
    case 'switch':
      return runs && profile;
    case 'test':
      return runs;
    case 'boot':
      return profile;
    case 'dry-activate':
      return false;
    default:
      return assertNever(mode);
  }
}

/** What pre-flight read into a system's or home's run. */
export function hostStateOf(run: Pick<TargetRun, 'spec' | 'currentSystem' | 'currentProfile'>): HostState {
  return { kind: hostKindOf(run.spec), ...(run.currentSystem ? { current: run.currentSystem } : {}), ...(run.currentProfile ? { profile: run.currentProfile } : {}) };
}
