import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { FleetError, toWireError } from '../contract';
import type { CoreContext } from '../context';
import type { JobContext } from '../jobs/jobs';
import type { JobProgress } from '../jobs/types';
import { buildStage } from './build-stage';
import { closeBuildHosts, connectBuildHosts, dropTargetsWithoutBuildHost } from './build-host';
import { probeBuildHostRoutes, pushFromBuildHost } from './push-from-build-host';
import { chooseSubstitution, type DeployCache } from './cache-deploy';
import { CacheContents } from './cache-contents';
import { SharedClosures } from './copy-closure';
import { SharedNars } from './nar';
import { phoneGenerations } from '../android/phone-generations';
import { droidActivate, droidCopy, droidPreflight, droidSwitchGeneration, releaseDroid } from './droid-stages';
import { activateStage, copyStage, logFor, preflight, releaseHost, type DeployEnv } from './host-stages';
import type { DeployService } from './service';
import type { TrackedState } from '../git/tracked-state';
import { whoAmI } from './service';
import { evaluatedOutputs } from './outputs';
import { noteBootState } from './note-boot-state';
import { RebootGate } from './reboot-gate';
import { rebootStage } from './reboot-stage';
import { alreadyUpToDate, hostStateOf } from './up-to-date';
import { listGenerations } from './status';
import { TargetRun } from './target-run';
import type { DeployMode, DeployRecord, DeployResult, DeployTargetSpec } from './types';

export interface DeployOptions {
  readonly mode: DeployMode;
  readonly parallel: number;
  readonly keepGoing: boolean;
  readonly canary: boolean;
  readonly magicRollback: boolean;
  readonly confirmTimeoutSeconds: number;
  readonly substituteOnTarget: boolean;
  /** A build host that cannot reach its target relays the closure through this computer (default); false: the target fails at pre-flight. */
  readonly relay?: boolean;
  /** --skip-checks: no health checks after the switch. */
  readonly skipChecks?: boolean;
  /** Activate even hosts that already run exactly the target generation. */
  readonly force?: boolean;
  readonly revision?: string;
  readonly dirty?: boolean;
  /** The checkout's tracked state read when the deploy was asked for: keys the evaluated out paths. */
  readonly tracked?: TrackedState;
  /** The checkout's binary cache: hosts that trust it substitute from it (unless substitution was turned off for this deploy). */
  readonly cache?: DeployCache;
  /** A manual rollback: switch to this existing generation ('previous': the one before the current) instead of building. */
  readonly rollbackTo?: number | 'previous';
  /** Reboot the systems: after the deploy (mode boot), or only that (`fleet reboot`). */
  readonly reboot?: RebootOptions;
}

/** How the hosts of a deploy reboot. */
export interface RebootOptions {
  /** At most this many hosts down at once. */
  readonly parallel: number;
  readonly timeoutSeconds: number;
  /** Let every selected host (every host of a tag) be down at the same time. */
  readonly allAtOnce: boolean;
  /** `fleet reboot`: no build, copy or activation; the boot default is what should boot. */
  readonly only: boolean;
}

/** A new deploy id: sortable by time, unique. */
export function newDeployId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
}

/**
 * One deploy, end to end: every host's pre-flight in parallel (offline hosts are known in
 * seconds), one shared build, then copy + activate + confirm per host, `parallel` at a
 * time, a canary first when asked, keep-going or stop at the first failure. Every stage
 * change is recorded in the history as it happens. Throws when any target did not succeed,
 * with a message naming each one.
 */
export async function runDeploy(
  core: CoreContext,
  service: DeployService,
  job: JobContext,
  root: string,
  specs: readonly DeployTargetSpec[],
  options: DeployOptions,
): Promise<DeployResult> {
  const deployId = newDeployId();
  // Every remote command of every host listens for the job's cancel.
  setMaxListeners(0, job.signal);
  const env: DeployEnv = {
    core,
    job,
    service,
    deployId,
    mode: options.mode,
    confirmTimeoutSeconds: options.confirmTimeoutSeconds,
    magicRollback: options.magicRollback,
    substituteOnTarget: options.substituteOnTarget,
    skipChecks: options.skipChecks ?? false,
    force: options.force ?? false,
    sudoPasswords: new Map(),
    promptChain: Promise.resolve(),
  };
  const othersDone = new AbortController();
  if (options.reboot) {
    const r = options.reboot;
    env.reboot = { gate: new RebootGate(specs, { parallel: r.parallel, allAtOnce: r.allAtOnce }), timeoutSeconds: r.timeoutSeconds, only: r.only, late: [], othersDone: othersDone.signal };
  }
  const building = options.rollbackTo === undefined && !options.reboot?.only;
  let progressTimer: NodeJS.Timeout | undefined;
  const emitProgress = () => {
    progressTimer = undefined;
    job.progress(progressOf(runs));
  };
  const runs: TargetRun[] = specs.map(
    (spec) =>
      new TargetRun(spec, (run, stageChanged) => {
        if (stageChanged) service.history.outcome(deployId, run.outcome());
        progressTimer ??= setTimeout(emitProgress, 30);
      }),
  );
  const base: DeployRecord = {
    id: deployId,
    jobId: job.id,
    who: whoAmI(core.env),
    root,
    ...(options.revision ? { revision: options.revision } : {}),
    ...(options.dirty !== undefined ? { dirty: options.dirty } : {}),
    mode: options.mode,
    targets: specs.map((s) => s.id),
    startedAt: Date.now(),
    status: 'running',
    outcomes: runs.map((r) => r.outcome()),
    logFile: job.logFile,
    ...(options.reboot ? { reboot: options.reboot.only ? ('only' as const) : ('after-deploy' as const) } : {}),
  };
  service.history.start(base);
  core.events.emit({ type: 'deploy.started', deployId, jobId: job.id, targets: base.targets });
  job.log(
    options.reboot?.only
      ? `reboot ${deployId}: ${specs.map((s) => s.id).join(', ')} (at most ${env.reboot!.gate.width} down at once)`
      : `deploy ${deployId}: ${specs.map((s) => s.id).join(', ')} (${options.mode}${options.magicRollback ? ', magic rollback' : ''}${env.reboot ? `, then reboot, at most ${env.reboot.gate.width} down at once` : ''})`,
    'info',
  );
  try {
    if (building) {
      // Evaluate while the hosts are being reached: both take a while, neither needs the other.
      const kinds = new Set(specs.flatMap((s) => (!s.buildOnTarget && !s.buildHost && s.kind !== 'droid' ? [s.kind] : [])));
      env.outputs = evaluatedOutputs(root, { env: core.env, dataDir: core.dataDir, kinds, signal: job.signal, ...(options.tracked ? { tracked: options.tracked } : {}) }).catch(() => undefined);
    }
    // Build hosts are reached alongside the targets: an offline one is known before any build.
    await Promise.all([
      ...runs.map((run) => (run.spec.kind === 'droid' ? droidPreflight(env, run) : preflight(env, run))),
      ...(building ? [connectBuildHosts(env, runs)] : []),
    ]);
    dropTargetsWithoutBuildHost(env, runs);
    // Before anything is built: can each build host reach its targets itself, or is the closure relayed through here?
    if (building) await probeBuildHostRoutes(env, runs, options.relay ?? true);
    if (options.cache && building) {
      env.cacheContents = new CacheContents(options.cache.location, service, { jobId: job.id, signal: job.signal });
      await chooseSubstitution(env, runs, options.cache);
    }
    if (options.rollbackTo !== undefined) {
      // A rollback builds nothing: every target (a phone too) switches to a generation it has.
      await Promise.all(runs.filter((r) => !r.done).map((run) => pickGeneration(env, run, options.rollbackTo!)));
    } else {
      // A phone that builds its own configuration does so while activating: nothing to build here.
      const ready = runs.filter((r) => !r.done && !buildsOnPhone(r));
      if (options.reboot?.only) for (const run of ready) bootDefault(run);
      else if (ready.length > 0 && !job.signal.aborted) await buildStage(env, ready, root);
    }
    const toCopy = runs.filter((r) => !r.done && r.outPath && !r.builtOnHost && !r.spec.buildHost && r.toGeneration === undefined && r.spec.kind !== 'droid').map((r) => r.outPath!);
    if (toCopy.length > 1) {
      env.closures = new SharedClosures(toCopy, { env: core.env, signal: job.signal });
      env.nars = new SharedNars();
    }
    try {
      await deployHosts(env, runs.filter((r) => !r.done && (r.outPath || r.toGeneration !== undefined || buildsOnPhone(r))), options);
    } finally {
      // Hosts not back in time were watched while the others went on; that ends now.
      othersDone.abort();
      await Promise.all(env.reboot?.late ?? []);
    }
  } catch (error) {
    const wire = toWireError(error);
    for (const run of runs.filter((r) => !r.done)) {
      logFor(env, run)(wire.message, 'error');
      run.finish(job.signal.aborted ? 'cancelled' : 'failed', wire.message);
    }
  } finally {
    for (const run of runs.filter((r) => !r.done)) run.finish(job.signal.aborted ? 'cancelled' : 'failed', job.signal.aborted ? 'cancelled' : 'not deployed');
    await Promise.all(runs.map((run) => (run.spec.kind === 'droid' ? releaseDroid(env, run) : releaseHost(env, run))));
    closeBuildHosts(env);
    env.cacheContents?.close();
    if (progressTimer) clearTimeout(progressTimer);
    emitProgress();
  }
  const outcomes = runs.map((r) => r.outcome());
  const ok = outcomes.every((o) => o.status === 'succeeded');
  const status = job.signal.aborted ? 'cancelled' : ok ? 'succeeded' : 'failed';
  service.history.end({ ...base, finishedAt: Date.now(), status, outcomes });
  core.events.emit({ type: 'deploy.finished', deployId, jobId: job.id, status, outcomes, ...(base.reboot ? { reboot: base.reboot } : {}) });
  for (const o of outcomes) job.log(`${o.status}: ${o.message ?? ''}`, o.status === 'succeeded' ? 'info' : 'error', o.target);
  if (!ok) {
    const failed = outcomes.filter((o) => o.status !== 'succeeded');
    // One target: its own error code and hint say best what happened (disk-full, locked, ...).
    const only = outcomes.length === 1 ? failed[0] : undefined;
    throw new FleetError(
      job.signal.aborted ? 'cancelled' : (only?.errorCode ?? 'deploy-failed'),
      `${failed.length} of ${outcomes.length} target${outcomes.length === 1 ? '' : 's'} ${options.reboot?.only ? 'not rebooted' : 'not deployed'}: ${failed.map((o) => `${o.target} ${o.status}${o.message ? ` (${o.message})` : ''}`).join('; ')}`,
      { hint: only?.hint ?? `${options.reboot?.only ? 'Reboot' : 'Deploy'} ${deployId}; each host's log is in the job log.` },
    );
  }
  return { deployId, ok, outcomes };
}

/**
 * Copy and switch, pipelined: at most `parallel` hosts copy at once and at most `parallel`
 * hosts switch (activate, checks, confirm, reboot) at once, so the next hosts' closures go
 * over while earlier hosts activate. A copy changes nothing a host runs, so `parallel` still
 * bounds how many hosts change at the same time (`--parallel 1`: one host switches at a
 * time). Canary first; stop early unless keep-going: hosts not yet switched are skipped
 * (a closure already copied stays in their store, unused).
 */
async function deployHosts(env: DeployEnv, runs: readonly TargetRun[], options: DeployOptions): Promise<void> {
  let stop: string | undefined;
  const copying = new Slots(1);
  const switching = new Slots(1);
  const one = async (run: TargetRun) => {
    if (stop) return run.finish('skipped', stop);
    if (env.job.signal.aborted) return run.finish('cancelled', 'cancelled before copying');
    try {
      const next = await copying.run(async (): Promise<'switch' | 'done'> => {
        if (!stop) return transferOne(env, run);
        run.finish('skipped', stop);
        return 'done';
      });
      if (next === 'switch' && !run.done) {
        if (stop) run.finish('skipped', `${stop} (its closure was copied, not activated)`);
        else if (env.job.signal.aborted) run.finish('cancelled', 'cancelled before activation');
        else {
          if (switching.full) run.rest(`copied; waiting for a free slot to switch (${switching.width} at a time)`);
          await switching.run(async () => {
            if (stop) run.finish('skipped', `${stop} (its closure was copied, not activated)`);
            else await switchOne(env, run);
          });
        }
      }
    } catch (error) {
      const wire = toWireError(error);
      logFor(env, run)(wire.message + (wire.hint ? `\n${wire.hint}` : ''), 'error');
      run.fail(wire);
    }
    if (run.status !== 'succeeded' && !options.keepGoing) stop ??= `skipped: ${run.spec.id} failed and keep-going is off`;
  };
  const queue = [...runs];
  // The build is done for all of them: close it, so a host that waits for a free slot (or for
  // the canary) shows the wait as a gap in its timeline, not as build time.
  const canary = options.canary && queue.length > 1 ? queue[0] : undefined;
  const width = Math.max(1, Math.min(options.parallel, queue.length - (canary ? 1 : 0)));
  queue.forEach((run, i) => {
    if (canary) run.rest(i === 0 ? undefined : `waiting for the canary ${canary.spec.id}`);
    else run.rest(i < width ? undefined : `waiting for a free slot to copy (${width} at a time)`);
  });
  if (canary) {
    queue.shift();
    env.job.log(`canary: ${canary.spec.id} first`, 'info');
    await one(canary);
    if (canary.status !== 'succeeded') stop = `skipped: the canary ${canary.spec.id} did not succeed`;
  }
  copying.width = width;
  switching.width = width;
  // Every host queues for a copy slot in order; the slots are first come, first served.
  await Promise.all(queue.map(one));
}

/** At most `width` tasks at once; waiting tasks start in the order they asked. */
class Slots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(public width: number) {}

  get full(): boolean {
    return this.busy >= this.width;
  }

  async run<T>(task: () => T | Promise<T>): Promise<T> {
    if (this.busy >= this.width) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy -= 1;
    }
  }
}

/**
 * One target's part before its switch: the copy (or nothing to copy). Ends the target when
 * nothing is left to do (already up to date); 'switch' when the switch stage follows.
 */
async function transferOne(env: DeployEnv, run: TargetRun): Promise<'switch' | 'done'> {
  if (run.spec.kind === 'droid' && run.toGeneration !== undefined) return 'switch';
  if (run.spec.kind === 'droid') {
    await droidCopy(env, run);
    return 'switch';
  }
  if (env.reboot?.only) return 'switch';
  const upToDate = run.toGeneration === undefined && !env.force && alreadyUpToDate(env.mode, run.outPath!, hostStateOf(run));
  if (upToDate && env.reboot && run.bootedSystem !== run.outPath) return 'switch';
  if (upToDate) {
    // Nothing to copy (a running system's closure is on the host) and nothing to activate.
    run.upToDate = true;
    run.generation = run.previousGeneration;
    logFor(env, run)(`already up to date: ${run.spec.host} runs ${run.outPath}; not activated again (--force does)`, 'info');
    run.finish('succeeded', `already up to date${run.generation !== undefined ? ` (generation ${run.generation})` : ''}`);
    return 'done';
  }
  if (run.toGeneration === undefined && run.spec.buildHost) await pushFromBuildHost(env, run);
  else if (run.toGeneration === undefined && !run.builtOnHost) await copyStage(env, run);
  return 'switch';
}

/** One target after its copy: activate (and reboot when asked), or only the reboot. Ends the target. */
async function switchOne(env: DeployEnv, run: TargetRun): Promise<void> {
  if (run.spec.kind === 'droid' && run.toGeneration !== undefined) return droidSwitchGeneration(env, run, run.toGeneration);
  if (run.spec.kind === 'droid') return droidActivate(env, run);
  const expected = () => ({ system: run.outPath!, ...(run.generation !== undefined ? { generation: run.generation } : {}) });
  if (env.reboot?.only) return rebootStage(env, run, expected());
  const upToDate = run.toGeneration === undefined && !env.force && alreadyUpToDate(env.mode, run.outPath!, hostStateOf(run));
  if (upToDate && env.reboot && run.bootedSystem !== run.outPath) {
    // Already the boot default, not booted yet: only the reboot is left to do.
    run.generation = run.previousGeneration;
    logFor(env, run)(`${run.spec.host} already has ${run.outPath} as its boot default (generation ${run.generation ?? '?'}) but booted ${run.bootedSystem ?? 'something else'}: rebooting it`, 'info');
    return rebootStage(env, run, expected());
  }
  await activateStage(env, run, run.toGeneration !== undefined ? { toGeneration: run.toGeneration } : {});
  if (run.status !== 'succeeded') return;
  if (!env.reboot || run.spec.kind !== 'system') return noteBootState(env, run, run.bootStateAfterActivation);
  if (env.job.signal.aborted) return run.finish('cancelled', `cancelled before the reboot; generation ${run.generation ?? '?'} is the boot default`);
  return rebootStage(env, run, expected());
}

/** `fleet reboot`: what should boot is the host's boot default (its system profile), as pre-flight found it. */
function bootDefault(run: TargetRun): void {
  if (run.spec.kind !== 'system') return run.finish('failed', `${run.spec.id} is not a system: only systems reboot`);
  if (!run.currentProfile) return run.finish('failed', `${run.spec.host} has no system profile (/nix/var/nix/profiles/system): nothing to boot`);
  run.outPath = run.currentProfile;
  run.generation = run.previousGeneration;
}

/** A droid whose phone builds it (`nix-on-droid switch --flake` during activation). */
function buildsOnPhone(run: TargetRun): boolean {
  return run.spec.kind === 'droid' && run.spec.phone?.buildOn === 'phone';
}

/** For a manual rollback: find the generation to go back to and its store path. */
async function pickGeneration(env: DeployEnv, run: TargetRun, wanted: number | 'previous'): Promise<void> {
  try {
    // A phone's listing has no store paths: its generation number is all switch-generation needs.
    const generations: readonly { readonly number: number; readonly current: boolean; readonly path?: string }[] =
      run.spec.kind === 'droid' ? await phoneGenerations(run.phone!, env.job.signal) : await listGenerations(run.session!, run.spec.kind);
    const current = generations.find((g) => g.current);
    const target = generationToRollBackTo(generations, wanted);
    if (!target) {
      const known = generations.map((g) => g.number).sort((a, b) => a - b).join(', ') || 'none';
      throw new FleetError('not-found', wanted === 'previous' ? `${run.spec.host} has no generation before ${current?.number ?? '?'} (generations: ${known}).` : `${run.spec.host} has no generation ${wanted} (generations: ${known}).`);
    }
    if (target.path) run.outPath = target.path;
    run.toGeneration = target.number;
    logFor(env, run)(`rolling back to generation ${target.number}${target.path ? `: ${target.path}` : ''}`, 'info');
  } catch (error) {
    run.finish('failed', toWireError(error).message);
  }
}

/** The generation a rollback goes to: `wanted`, or the newest one older than the current. */
export function generationToRollBackTo<G extends { readonly number: number; readonly current: boolean }>(generations: readonly G[], wanted: number | 'previous'): G | undefined {
  if (wanted !== 'previous') return generations.find((g) => g.number === wanted);
  const current = generations.find((g) => g.current);
  if (!current) return undefined;
  return generations.filter((g) => g.number < current.number).sort((a, b) => b.number - a.number)[0];
}

/** The job's progress: one entry per target plus an overall fraction. */
export function progressOf(runs: readonly TargetRun[]): JobProgress {
  const weights: Record<string, number> = { preflight: 0.05, build: 0.25, copy: 0.6, activate: 0.85, checks: 0.9, reboot: 0.9, confirm: 0.95, rollback: 0.95 };
  const fractions = runs.map((r) => {
    if (r.done) return 1;
    const base = weights[r.stage ?? ''] ?? 0;
    if (r.stage === 'copy' && r.bytesTotal) return 0.25 + 0.35 * ((r.bytesDone ?? 0) / r.bytesTotal);
    return base;
  });
  const fraction = fractions.length === 0 ? 1 : fractions.reduce((a, b) => a + b, 0) / fractions.length;
  const doneCount = runs.filter((r) => r.done).length;
  return { fraction, label: `${doneCount}/${runs.length} hosts done`, targets: runs.map((r) => r.progress()) };
}
