import { FleetError, toWireError, type WireError } from '../contract';
import type { JobContext } from '../jobs/jobs';
import type { FailedDerivation, JobProgress, LogStream, TargetProgress } from '../jobs/types';
import { BuildProgressModel } from './build-progress';
import { bestLocation, parseNixErrorText, toFleetError, type NixError } from './nix-errors';
import { runNix, type NixRunOptions } from './runner';
import { closureInfo } from './path-info';
import type { BuildTarget } from './targets';

/**
 * How the build job builds systems on their build hosts: handed in by the core from the
 * domain that reaches hosts (deploy/build-job.ts), so a build (and a closure diff) takes the deploy's own path.
 */
export interface BuildHostBuilds {
  /** The build host of each system target that has one (meta.json deploy.buildHost, else the settings' default), by label. */
  of(targets: readonly BuildTarget[], root: string): ReadonlyMap<string, string>;
  /** Build these runs on their build hosts, for this job; `root` says which garbage-collector root keeps each build there (default 'system'). */
  build(runs: readonly BuildRun[], options: BuildOptions, job: JobContext, root?: BuildHostRoot): Promise<readonly TargetBuildResult[]>;
}

/**
 * Which garbage-collector root keeps a build on its build host: the system's own (what the
 * next deploy copies; each build replaces it), or the one of a git revision built for a
 * comparison, which leaves the system's own alone.
 */
export type BuildHostRoot = 'system' | 'revision';

/** The outcome of one target of a build job, kept in the job's result. */
export interface TargetBuildResult {
  readonly target: string;
  readonly kind: BuildTarget['kind'];
  readonly attrPath: string;
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  readonly outPath?: string;
  readonly drvPath?: string;
  /** Bytes of the output's closure, and how many store paths it holds. */
  readonly closureSize?: number;
  readonly closurePaths?: number;
  readonly durationMs: number;
  /** Derivations built for this target. */
  readonly built: number;
  /** A build host's name when it was built there (its output is in that host's store, not here). */
  readonly builtOn?: string;
  readonly failedDerivations?: readonly FailedDerivation[];
  readonly error?: WireError;
}

/** What a build job finishes with. */
export interface BuildResult {
  readonly targets: readonly TargetBuildResult[];
  readonly durationMs: number;
}

export interface BuildOptions extends NixRunOptions {
  /** The checkout: nix runs there, error paths are mapped back into it. */
  readonly root: string;
  /** How many targets build at once (default 1). */
  readonly concurrency?: number;
  /** Where log lines go (the job's ctx.log). */
  readonly log?: (text: string, stream: LogStream, target: string) => void;
  /** Progress of the whole build, at most every `progressIntervalMs` (default 50). */
  readonly onProgress?: (progress: JobProgress) => void;
  readonly progressIntervalMs?: number;
  /** Extra arguments for every `nix build`, e.g. ['--keep-going']. */
  readonly extraArgs?: readonly string[];
  /** Targets built on a build host (label -> its name) and the way to build there; the rest build here. */
  readonly elsewhere?: { readonly buildHosts: ReadonlyMap<string, string>; readonly build: BuildElsewhere };
}

/** One target of a build job while it builds: its live progress model, then its final snapshot. */
export interface BuildRun {
  readonly target: BuildTarget;
  /** "here", or the build host's name. */
  readonly builtOn: string;
  model?: BuildProgressModel;
  final?: TargetProgress;
}

/**
 * Build targets on their build hosts (`builtOn`), given to this domain by the one that
 * reaches hosts (deploy/build-job.ts, over the deploy's own build-host path). It sets each
 * run's `model` while it builds and `final` when done, and returns each run's result in order.
 */
export type BuildElsewhere = (runs: readonly BuildRun[], options: BuildOptions) => Promise<readonly TargetBuildResult[]>;

/**
 * Build targets with live progress: one `nix build --json --no-link --log-format
 * internal-json -v` per target (so each target's progress is its own), `concurrency` at a
 * time. Each output's closure size is measured afterwards. Never throws for a failed
 * target: its result says why; cancelling through `signal` rejects with 'cancelled'.
 */
export async function buildTargets(targets: readonly BuildTarget[], options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const runs: BuildRun[] = targets.map((target) => ({ target, builtOn: options.elsewhere?.buildHosts.get(target.label) ?? 'here' }));
  const local = runs.filter((r) => r.builtOn === 'here');
  const remote = runs.filter((r) => r.builtOn !== 'here');
  const emit = () => options.onProgress?.(overallProgress(runs));
  const timer = setInterval(() => {
    if (runs.some((r) => r.model?.dirty)) emit();
  }, options.progressIntervalMs ?? 50);
  emit();
  const results = new Map<BuildRun, TargetBuildResult>();
  let next = 0;
  const worker = async () => {
    while (next < local.length) {
      const run = local[next++]!;
      results.set(run, await buildOne(run, options));
      emit();
    }
  };
  const elsewhere = async () => {
    if (remote.length === 0 || !options.elsewhere) return;
    const built = await options.elsewhere.build(remote, options);
    remote.forEach((run, i) => results.set(run, built[i]!));
    emit();
  };
  try {
    const width = Math.max(1, Math.min(options.concurrency ?? 1, local.length));
    await Promise.all([...(local.length > 0 ? Array.from({ length: width }, worker) : []), elsewhere()]);
  } finally {
    clearInterval(timer);
  }
  if (options.signal?.aborted) throw new FleetError('cancelled', 'Cancelled.');
  emit();
  return { targets: runs.map((r) => results.get(r)!), durationMs: Date.now() - started };
}

async function buildOne(run: BuildRun, options: BuildOptions): Promise<TargetBuildResult> {
  const { target } = run;
  const started = Date.now();
  const log = (text: string, stream: LogStream) => options.log?.(text, stream, target.label);
  const model = new BuildProgressModel(target.label, options.root, log, Date.now, started);
  run.model = model;
  const args = ['build', '--json', '--no-link', '--log-format', 'internal-json', '-v', '--show-trace', ...(options.extraArgs ?? []), target.installable];
  const base = { target: target.label, kind: target.kind, attrPath: target.attrPath };
  try {
    const result = await runNix(args, { ...options, cwd: options.root, onStderrLine: (line) => model.feed(line), collectStdout: true });
    const built = model.builds().done;
    if (result.code !== 0) {
      const error = describeTargetFailure(target, model, result.stderr, options.root);
      run.final = model.snapshot('failed', { finishedAt: Date.now(), message: error.message });
      for (const f of model.failures) {
        log(`${f.name} failed; its full build log: nix log ${f.drv}`, 'error');
      }
      return { ...base, status: 'failed', durationMs: Date.now() - started, built, error: error.toWire(), ...failuresOf(model) };
    }
    const outputs = parseBuildJson(result.stdout);
    const first = outputs[0];
    let sizes: { closureSize?: number; closurePaths?: number } = {};
    if (first?.outPath) {
      try {
        const [info] = await closureInfo([first.outPath], { ...options, cwd: options.root });
        if (info) sizes = { closureSize: info.closureSize, closurePaths: info.paths };
      } catch (error) {
        log(`Could not measure the closure of ${first.outPath}: ${toWireError(error).message}`, 'stderr');
      }
    }
    log(`built ${first?.outPath ?? '(no output)'}`, 'info');
    run.final = model.snapshot('succeeded', {
      finishedAt: Date.now(),
      stage: 'done',
      ...(first?.outPath ? { outPath: first.outPath } : {}),
      ...(sizes.closureSize !== undefined ? { closureSize: sizes.closureSize } : {}),
    });
    return {
      ...base,
      status: 'succeeded',
      ...(first?.outPath ? { outPath: first.outPath } : {}),
      ...(first?.drvPath ? { drvPath: first.drvPath } : {}),
      ...sizes,
      durationMs: Date.now() - started,
      built,
    };
  } catch (error) {
    const wire = toWireError(error);
    const status = wire.code === 'cancelled' ? 'cancelled' : 'failed';
    run.final = model.snapshot(status, { finishedAt: Date.now(), message: wire.message });
    return { ...base, status, durationMs: Date.now() - started, built: model.builds().done, error: wire };
  }
}

function failuresOf(model: BuildProgressModel): { failedDerivations?: readonly FailedDerivation[] } {
  return model.failures.length > 0 ? { failedDerivations: model.failures } : {};
}

/** The error a person should see for a failed target: the failed derivation, a platform it cannot build, else nix's (evaluation) error. */
export function describeTargetFailure(target: BuildTarget, model: BuildProgressModel, stderr: string, root: string): FleetError {
  const failure = model.failures[0];
  if (failure) {
    const more = model.failures.length > 1 ? ` (and ${model.failures.length - 1} more)` : '';
    return new FleetError('build-failed', `${target.label}: ${failure.name} failed to build${more}.`, {
      hint: `Last lines of its log are in the job log; the whole log: nix log ${failure.drv}`,
    });
  }
  const errors: readonly NixError[] = model.errors.length > 0 ? model.errors : [parseNixErrorText(stderr, root)];
  const platform = errors.map((e) => platformMismatch.exec(e.message)).find(Boolean);
  if (platform) {
    return new FleetError('build-failed', `${target.label}: this machine cannot build for ${platform[1]} (it is ${platform[2]}).`, {
      hint: `Let nix build ${platform[1]} here (binfmt emulation plus FLEET_NIX_OPTIONS="extra-platforms=${platform[1]}", or extra-platforms in nix.conf), or add a remote builder for ${platform[1]}.`,
    });
  }
  const best = errors.find((e) => bestLocation(e, root)) ?? errors[0]!;
  return toFleetError(best, root, 'eval-failed', `${target.label}: `);
}

const platformMismatch = /a '([^']+)' with features \{[^}]*\} is required to build '[^']+', but I am a '([^']+)'/;

/** `nix build --json` output: [{drvPath, outputs: {out: path}}]. */
export function parseBuildJson(stdout: string): { drvPath?: string; outPath?: string }[] {
  try {
    const parsed = JSON.parse(stdout) as { drvPath?: string; outputs?: Record<string, string> }[];
    if (!Array.isArray(parsed)) return [];
    return parsed.map((p) => ({
      ...(p.drvPath ? { drvPath: p.drvPath } : {}),
      ...(p.outputs ? { outPath: p.outputs.out ?? Object.values(p.outputs)[0] } : {}),
    }));
  } catch {
    return [];
  }
}

/** The whole build's progress: per-target snapshots, summed counts, an overall fraction. */
export function overallProgress(runs: readonly { target: BuildTarget; builtOn?: string; model?: BuildProgressModel; final?: TargetProgress }[]): JobProgress {
  const targets: TargetProgress[] = runs.map((r) => ({ ...(r.final ?? r.model?.snapshot('running') ?? { target: r.target.label, status: 'pending' }), builtOn: r.builtOn ?? 'here' }));
  const builds = { done: 0, running: 0, failed: 0, total: 0 };
  const downloads = { done: 0, total: 0, bytesDone: 0, bytesTotal: 0 };
  let fractionSum = 0;
  for (const t of targets) {
    builds.done += t.done ?? 0;
    builds.running += t.running?.length ?? 0;
    builds.failed += t.failed ?? 0;
    builds.total += t.total ?? 0;
    downloads.done += t.downloadsDone ?? 0;
    downloads.total += t.downloadsTotal ?? 0;
    downloads.bytesDone += t.bytesDone ?? 0;
    downloads.bytesTotal += t.bytesTotal ?? 0;
    fractionSum += targetFraction(t);
  }
  const finished = targets.filter((t) => t.status !== 'running' && t.status !== 'pending').length;
  return {
    fraction: targets.length > 0 ? fractionSum / targets.length : 1,
    label: `${finished}/${targets.length} target${targets.length === 1 ? '' : 's'} done`,
    targets,
    builds,
    downloads,
  };
}

/** 0..1 for one target: finished is 1, evaluating is 0, building is done/total. */
export function targetFraction(t: TargetProgress): number {
  if (t.status === 'pending') return 0;
  if (t.status !== 'running') return 1;
  if (!t.total) return 0;
  // Keep a running target below 1 so 100% means finished.
  return Math.min(0.99, (t.done ?? 0) / t.total);
}
