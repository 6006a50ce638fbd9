import type { WireError } from '../contract';

/** Lifecycle of a job. `interrupted`: the app stopped while it ran (found at next start). */
export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export const finishedStatuses: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

/** Status of one target (host, home, droid, derivation set) inside a job. */
export type TargetStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'rolled-back';

/** One stage of a target's pipeline, with its timing, for the timeline chart. */
export interface StageTiming {
  readonly name: string;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly status: TargetStatus;
}

/** One health check after a deploy's switch (meta.json deploy.checks), and how it went. */
export interface HealthCheckResult {
  /** "unit nginx.service", "command curl -fsS ...", "http https://... → 200", "no unit newly failed". */
  readonly label: string;
  readonly kind: 'unit' | 'command' | 'http' | 'failed-units';
  /** skipped: not run because an earlier check failed. */
  readonly status: 'pending' | 'running' | 'passed' | 'failed' | 'skipped';
  /** What the check saw: the unit's state, the command's output, the HTTP status and body (cut short). */
  readonly output?: string;
  readonly durationMs?: number;
}

/** A derivation being built right now, with nix's current phase for it. */
export interface RunningBuild {
  readonly drv: string;
  readonly name: string;
  readonly phase?: string;
  readonly startedAt: number;
}

/** Progress of one target. Fields are optional: each kind of job fills what it knows. */
export interface TargetProgress {
  readonly target: string;
  readonly status: TargetStatus;
  /** Current stage name, e.g. "build", "copy", "activate". */
  readonly stage?: string;
  readonly message?: string;
  readonly done?: number;
  readonly total?: number;
  readonly failed?: number;
  readonly bytesDone?: number;
  readonly bytesTotal?: number;
  readonly running?: readonly RunningBuild[];
  readonly stages?: readonly StageTiming[];
  readonly outPath?: string;
  /** A deploy found the host already running exactly this (nothing copied or activated). */
  readonly upToDate?: boolean;
  /** When this target's work started / ended (ms since epoch). */
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** Store paths to download (substitute) for this target, and how many are done. */
  readonly downloadsDone?: number;
  readonly downloadsTotal?: number;
  /** Bytes of the built output's closure. */
  readonly closureSize?: number;
  /** Health checks of a deploy target, in order. */
  readonly checks?: readonly HealthCheckResult[];
  /** Derivations that failed to build, with the last lines of their build log. */
  readonly failedDerivations?: readonly FailedDerivation[];
  /** Where the target's closure is built: "here", "the host itself", or a build host's name. */
  readonly builtOn?: string;
  /** Where the host gets the closure from: "here", a build host's name, or the cache. */
  readonly copiedFrom?: string;
  /** Why the closure went build host -> this computer -> host ("build host cannot reach tv-box"); absent: straight. */
  readonly relayedBecause?: string;
  /** What the host fetched from the homelab's binary cache itself (before anything was sent). */
  readonly fetchedFromCache?: { readonly paths: number; readonly bytes: number };
}

/** A derivation whose builder failed: `nix log <drv>` prints its whole log. */
export interface FailedDerivation {
  readonly drv: string;
  readonly name: string;
  readonly logTail: readonly string[];
}

/** Progress of a whole job: an overall fraction plus per-target detail. */
export interface JobProgress {
  /** 0..1 when known. */
  readonly fraction?: number;
  readonly label?: string;
  readonly targets?: readonly TargetProgress[];
  /** Derivations built / to build, paths downloaded / to download, across all targets. */
  readonly builds?: { readonly done: number; readonly running: number; readonly failed: number; readonly total: number };
  readonly downloads?: { readonly done: number; readonly total: number; readonly bytesDone: number; readonly bytesTotal: number };
  /** What the work has changed so far, in words a person acts on (an install: what is on the disk now). */
  readonly state?: string;
  /** False once cancelling would leave a change half done (an install after disko started). */
  readonly safeToCancel?: boolean;
}

export type LogStream = 'stdout' | 'stderr' | 'info' | 'error';

/** One line of a job's log. `t`: ms since the job started. */
export interface LogLine {
  readonly t: number;
  readonly stream: LogStream;
  readonly text: string;
  /** Which target (host, derivation) the line belongs to, so logs are not interleaved. */
  readonly target?: string;
}

/** Plain, serialisable facts about a job. */
export interface JobInfo {
  readonly id: string;
  /** What kind of work: 'build', 'flake-check', 'deploy' (systems, homes and droids), 'droid-setup', ... */
  readonly kind: string;
  readonly title: string;
  readonly targets: readonly string[];
  readonly status: JobStatus;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly error?: WireError;
  readonly result?: unknown;
  readonly progress?: JobProgress;
  /** Absolute path of the full log file in the app's data folder. */
  readonly logFile: string;
  /** Checkout the job worked on. */
  readonly root?: string;
}
