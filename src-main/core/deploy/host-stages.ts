import { FleetError, toWireError } from '../contract';
import type { JobContext } from '../jobs/jobs';
import type { PromptAnswer } from '../app/prompts';
import type { CoreContext } from '../context';
import { decide, rolledBackGeneration, runActivation, type DecisionReport } from './activate';
import { copyClosure, type SharedClosures } from './copy-closure';
import type { SharedNars } from './nar';
import { formatBytes } from '../../shared/units';
import { HostSession, negotiateRoot, type RootAccess } from './host-session';
import { keyValues, lockScript, probeScript, unlockScript } from './remote-scripts';
import type { EvaluatedOutputs } from './outputs';
import type { DeployService } from './service';
import { checksBudgetSeconds, checksStage, checksWanted } from './checks-stage';
import { bootStateOf } from './boot-state';
import type { HealthCheckResult } from '../jobs/types';
import { hostKindOf, type TargetRun } from './target-run';
import type { BuildHostLink } from './build-host';
import type { CacheContents } from './cache-contents';
import { fetchFromCache } from './fetch-from-cache';
import type { DeployMode } from './types';
import type { RebootEnv } from './reboot-stage';

/** What every stage of one deploy shares. */
export interface DeployEnv {
  readonly core: CoreContext;
  readonly job: JobContext;
  readonly service: DeployService;
  readonly deployId: string;
  readonly mode: DeployMode;
  readonly confirmTimeoutSeconds: number;
  readonly magicRollback: boolean;
  readonly substituteOnTarget: boolean;
  /** --skip-checks: no health checks after the switch. */
  readonly skipChecks: boolean;
  /** Activate even a host that already runs exactly the target generation. */
  readonly force: boolean;
  /** sudo passwords typed during this deploy, by login user: asked once per deploy. */
  readonly sudoPasswords: Map<string, string>;
  /** Serialises password questions so parallel hosts ask once, not all at once. */
  promptChain: Promise<unknown>;
  /** The checkout's evaluated out paths, started alongside the pre-flight. */
  outputs?: Promise<EvaluatedOutputs | undefined>;
  /** The closures of every built target, read once for all hosts. */
  closures?: SharedClosures;
  /** NARs read once for all hosts that lack the same paths. */
  nars?: SharedNars;
  /** Build hosts of this deploy by name (deploy.buildHost): open sessions, or why they cannot be used. */
  buildHosts?: Map<string, BuildHostLink>;
  /** The homelab's binary cache, asked which paths it has (hosts that trust it fetch those first). */
  cacheContents?: CacheContents;
  /** `fleet reboot` / `fleet deploy --reboot`: how the hosts reboot. */
  reboot?: RebootEnv;
}

/** Log a line under the target's name (so each host's log stays its own). */
export function logFor(env: DeployEnv, run: TargetRun) {
  return (text: string, stream: 'stdout' | 'stderr' | 'info' | 'error' = 'stdout') => env.job.log(text, stream, run.spec.id);
}

function lockKey(run: TargetRun): string {
  return `${run.spec.kind}:${run.spec.host}`;
}

async function askSudoPassword(env: DeployEnv, run: TargetRun, user: string, retry: boolean): Promise<string | undefined> {
  const ask = async (): Promise<string | undefined> => {
    const cached = env.sudoPasswords.get(user);
    if (cached !== undefined && !retry) return cached;
    const answer: PromptAnswer = await env.core.prompts.ask(
      {
        kind: 'secret',
        title: `sudo on ${run.spec.host}`,
        message: retry
          ? `sudo on ${run.spec.host} did not accept that password. Try again.`
          : `Deploying to ${run.spec.host} as ${user} needs sudo. The password is used for this deploy only and never stored.`,
        secretLabel: `sudo password for ${user}@${run.spec.host}`,
        jobId: env.job.id,
      },
      { signal: env.job.signal },
    );
    if (!answer.accept || answer.value === undefined) return undefined;
    env.sudoPasswords.set(user, answer.value);
    return answer.value;
  };
  const next = env.promptChain.then(ask, ask);
  env.promptChain = next.catch(() => undefined);
  return next;
}

/**
 * Pre-flight of one target: connect (host key checked, agent then keys), find out how to
 * become root, read what it runs now, and take its lock. An unreachable host is skipped.
 */
export async function preflight(env: DeployEnv, run: TargetRun): Promise<void> {
  const log = logFor(env, run);
  run.enter('preflight', `connecting to ${run.spec.host}`);
  const claimedBy = env.service.claim(lockKey(run), env.deployId);
  if (claimedBy) {
    run.finish('failed', `${run.spec.host} is being deployed by ${claimedBy} in this app; refusing a second deploy.`);
    return;
  }
  let connection;
  try {
    connection = await env.service.connect({
      host: run.spec.host,
      ...(run.spec.user ? { user: run.spec.user } : {}),
      ...(run.spec.port ? { port: run.spec.port } : {}),
      jobId: env.job.id,
      signal: env.job.signal,
      connectTimeoutMs: 8000,
    });
  } catch (error) {
    env.service.release(lockKey(run), env.deployId);
    const wire = toWireError(error);
    if (wire.code === 'host-unreachable') {
      log(`offline: ${wire.message}`, 'error');
      run.finish('skipped', `offline: ${wire.message}`);
      return;
    }
    if (wire.code === 'cancelled') return run.finish('cancelled', 'cancelled');
    log(wire.message + (wire.hint ? `\n${wire.hint}` : ''), 'error');
    run.finish('failed', wire.message);
    return;
  }
  // A first look at the link while the probe runs on the host; the copy sizes what it keeps
  // in flight from the fastest round trip seen (serve-copy.ts InFlightWindow).
  void connection.roundTripMs().catch(() => undefined);
  try {
    // One round trip says what the host runs and who we are there, and takes the lock when
    // that needs no sudo; sudo is sorted out after.
    const owner = env.service.ownerLine(env.deployId);
    const probe = await connection.script(probeScript, [run.spec.kind, run.spec.kind === 'system' ? '/nix/var/nix/profiles/system' : '', owner], { signal: env.job.signal });
    const facts = keyValues(probe.stdout);
    if (facts.get('nix') !== '1') {
      if (facts.get('locked') === 'acquired') await connection.script(unlockScript, [run.spec.kind, owner]).catch(() => undefined);
      throw new FleetError('no-nix', `${run.spec.host} has no nix-store on the PATH of SSH sessions.`);
    }
    let root: RootAccess = { kind: 'root' };
    if (run.spec.kind === 'system') {
      root = await negotiateRoot(connection, (retry) => askSudoPassword(env, run, connection.user, retry), env.job.signal, facts.get('uid'));
    }
    const session = new HostSession(connection, root);
    run.session = session;
    run.currentSystem = facts.get('current') || undefined;
    run.currentProfile = run.spec.kind === 'home' ? run.currentSystem : facts.get('profile') || undefined;
    if (run.spec.kind === 'system') run.bootedSystem = facts.get('booted') || undefined;
    const generation = facts.get('generation');
    if (generation) run.previousGeneration = Number(generation);
    log(`connected as ${connection.user}${root.kind === 'root' ? '' : ' (sudo)'}; running ${run.currentSystem ?? 'nothing yet'}${generation ? ` (generation ${generation})` : ''}`, 'info');

    const lockArgs = (stale: string) => [run.spec.kind, owner, stale];
    const takeLock = async (stale: string) =>
      (run.spec.kind === 'system' ? await session.scriptAsRoot(lockScript, lockArgs(stale)) : await session.script(lockScript, lockArgs(stale))).stdout;
    const lockedInProbe = facts.get('locked');
    let lock = lockedInProbe ?? (await takeLock(''));
    if (lockedInProbe === 'acquired') run.lockOwner = owner;
    let held = /^held (.*)$/m.exec(lock)?.[1];
    if (held !== undefined && env.service.isStale(held)) {
      log(`releasing a stale lock left by an interrupted deploy: ${held}`, 'info');
      lock = await takeLock(held);
      held = /^held (.*)$/m.exec(lock)?.[1];
    }
    if (!/^acquired$/m.test(lock)) {
      throw new FleetError('locked', `${run.spec.host} is locked by another deploy: ${describeOwner(held ?? (lock.trim() || 'the lock could not be taken'))}.`, {
        hint: 'Wait for that deploy to finish. A lock is released by itself once its process has ended; only when it was taken from another machine that is gone for good, remove /run/homelab-fleet/lock on the host.',
      });
    }
    run.lockOwner = owner;
    run.rest('ready');
  } catch (error) {
    const wire = toWireError(error);
    log(wire.message + (wire.hint ? `\n${wire.hint}` : ''), 'error');
    if (!run.session) connection.close();
    await releaseHost(env, run);
    run.finish(wire.code === 'cancelled' ? 'cancelled' : 'failed', wire.message);
  }
}

function describeOwner(line: string): string {
  try {
    const o = JSON.parse(line) as { deployId?: string; who?: string; startedAt?: number; pid?: number; program?: string; machine?: string };
    const program = o.program ? `${o.program}, ` : '';
    return `deploy ${o.deployId ?? '?'} by ${o.who ?? '?'} (${program}pid ${o.pid ?? '?'}${o.machine ? ` on ${o.machine}` : ''}) since ${o.startedAt ? new Date(o.startedAt).toISOString() : '?'}`;
  } catch {
    return line || 'unknown owner';
  }
}

/** Release the host's lock (best effort) and close its connection. */
export async function releaseHost(env: DeployEnv, run: TargetRun): Promise<void> {
  const session = run.session;
  if (session && run.lockOwner) {
    const args = [run.spec.kind, run.lockOwner];
    try {
      if (session.connection.isOpen) {
        await (run.spec.kind === 'system' ? session.scriptAsRoot(unlockScript, args) : session.script(unlockScript, args));
      } else {
        const fresh = await reconnect(env, run, 5000);
        try {
          await (run.spec.kind === 'system' ? fresh.scriptAsRoot(unlockScript, args) : fresh.script(unlockScript, args));
        } finally {
          fresh.close();
        }
      }
      run.lockOwner = undefined;
    } catch {
      logFor(env, run)(`could not release the lock on ${run.spec.host}; the next deploy will find it stale`, 'error');
    }
  }
  session?.close();
  env.service.release(lockKey(run), env.deployId);
}

/** A new connection to the target's host, with the root access found at pre-flight. */
async function reconnect(env: DeployEnv, run: TargetRun, timeoutMs: number): Promise<HostSession> {
  const connection = await env.service.connect({
    host: run.spec.host,
    ...(run.spec.user ? { user: run.spec.user } : {}),
    ...(run.spec.port ? { port: run.spec.port } : {}),
    jobId: env.job.id,
    connectTimeoutMs: timeoutMs,
  });
  return new HostSession(connection, run.session?.root ?? { kind: 'root' });
}

/** Copy the target's closure over its pre-flight connection. */
export async function copyStage(env: DeployEnv, run: TargetRun): Promise<void> {
  const session = run.session!;
  const log = logFor(env, run);
  run.enter('copy', 'checking which paths the host has');
  const started = Date.now();
  const result = await copyClosure(session, [run.outPath!], {
    env: env.core.env,
    ...(env.closures ? { closure: env.closures.of(run.outPath!) } : {}),
    ...(env.nars ? { nars: env.nars } : {}),
    signal: env.job.signal,
    importAsRoot: run.spec.kind === 'system' && session.root.kind !== 'root',
    substituteOnTarget: env.substituteOnTarget,
    beforeSend: (missing, sizeOf, stillMissing) => fetchFromCache(env, run, session, missing, sizeOf, stillMissing),
    log: (t) => log(t, 'info'),
    onProgress: (p) =>
      run.update({ pathsDone: p.pathsDone, pathsTotal: p.pathsTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, message: p.pathsTotal === 0 ? 'nothing to copy' : `copying ${p.pathsDone}/${p.pathsTotal} paths` }),
  });
  run.copiedPaths = result.copiedPaths;
  run.copiedBytes = result.copiedBytes;
  if (result.copiedPaths > 0) run.copiedFrom = 'here';
  else if (run.fetchedFromCache && run.fetchedFromCache.paths > 0) run.copiedFrom = 'cache';
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  log(
    result.copiedPaths === 0
      ? run.copiedFrom === 'cache'
        ? `the host fetched what it lacked from the cache: nothing sent from here`
        : `the host has all ${result.closurePaths} paths already: nothing copied`
      : `copied ${result.copiedPaths} paths (${formatBytes(result.copiedBytes)}) in ${secs} s`,
    'info',
  );
}

/**
 * Activate and, with magic rollback, confirm from a new connection. Ends the target:
 * succeeded, rolled-back (reported as the failure it is), failed or cancelled.
 */
export async function activateStage(env: DeployEnv, run: TargetRun, options: { toGeneration?: number } = {}): Promise<void> {
  const session = run.session!;
  const log = logFor(env, run);
  const magic = env.magicRollback && (env.mode === 'switch' || env.mode === 'test');
  const stateId = `${env.deployId}-${run.spec.kind}`;
  const withChecks = checksWanted(env, run);
  run.enter('activate', `${env.mode}${magic ? `, rollback unless confirmed within ${env.confirmTimeoutSeconds} s` : ''}`);
  // Never interrupted by cancel: a half-run activation is worse than a finished one rolled back.
  const report = await runActivation(session, {
    kind: hostKindOf(run.spec),
    stateId,
    outPath: run.outPath!,
    mode: env.mode,
    // The host's watchdog also waits while the health checks run.
    confirmTimeoutSeconds: magic ? env.confirmTimeoutSeconds + (withChecks ? checksBudgetSeconds(run) : 0) : 0,
    rollbackOnFailure: env.magicRollback && env.mode !== 'dry-activate',
    ...(options.toGeneration !== undefined ? { toGeneration: options.toGeneration } : {}),
    // Read by this same exec instead of one each: the units failed before the switch (not
    // blamed on it by the checks) and the boot state after it (noteBootState).
    failedUnitsBefore: withChecks,
    bootState: run.spec.kind === 'system' && env.mode !== 'dry-activate' && !env.reboot,
    log: (line) => log(line),
  });
  if (report.bootFacts) run.bootStateAfterActivation = bootStateOf(report.bootFacts);
  if (report.generation !== undefined) run.generation = report.generation;
  if (report.previousGeneration !== undefined) run.previousGeneration = report.previousGeneration;
  const status = report.status ?? '';
  if (!report.lost && status !== 'ok') {
    const rolled = rolledBackGeneration(report.result);
    if (rolled !== undefined) {
      run.rolledBackTo = rolled;
      return run.finish('rolled-back', `activation failed (${status}); rolled back to generation ${rolled}`);
    }
    return run.finish('failed', `activation failed (${status || 'no status'})${report.result === 'none' ? '; there was no earlier generation to roll back to' : report.result ? `; ${report.result}` : ''}`);
  }
  if (report.lost) log('the connection dropped during activation; the host carries on by itself', 'error');
  if (withChecks && !report.lost && !env.job.signal.aborted) {
    const outcome = await checksStage(env, run, report.failedBefore);
    if (outcome?.connectionLost) return rollBackAfterLostConnection(env, run, stateId);
    if (outcome) return rollBackAfterCheck(env, run, stateId, outcome.failed);
  }
  const cancelled = env.job.signal.aborted;
  if (!magic && !report.lost && !cancelled) return run.finish('succeeded', doneMessage(env, run));

  run.enter('confirm', cancelled ? 'cancelled: rolling back' : 'confirming over a new connection');
  const decision = await decideWithRetry(env, run, stateId, cancelled ? 'rollback' : 'confirmed');
  if (!decision) {
    return run.finish(
      'failed',
      magic
        ? `could not reach ${run.spec.host} again within ${env.confirmTimeoutSeconds} s; it rolls back by itself to generation ${run.previousGeneration ?? '?'} (not verified)`
        : `lost ${run.spec.host} during activation; its state is unknown`,
    );
  }
  const rolled = rolledBackGeneration(decision.result);
  if (decision.decision === 'confirmed') {
    log('confirmed: the host is reachable on the new generation', 'info');
    if (cancelled) return run.finish('cancelled', 'cancelled after activation finished; kept the new generation');
    return run.finish('succeeded', doneMessage(env, run));
  }
  if (rolled !== undefined) run.rolledBackTo = rolled;
  if (cancelled) return run.finish('cancelled', `cancelled: rolled back to generation ${rolled ?? '?'}`);
  if (decision.status?.startsWith('failed')) {
    return run.finish(rolled !== undefined ? 'rolled-back' : 'failed', `activation failed (${decision.status})${rolled !== undefined ? `; rolled back to generation ${rolled}` : ''}`);
  }
  if (rolled !== undefined) {
    return run.finish('rolled-back', `not confirmed within ${env.confirmTimeoutSeconds} s (the new generation broke SSH?): rolled back to generation ${rolled}`);
  }
  return run.finish('failed', `not confirmed; the host says: ${decision.decision} ${decision.result ?? ''}`.trim());
}

/** A health check failed: go back to the generation before (unless --no-rollback) and say which check and why. */
async function rollBackAfterCheck(env: DeployEnv, run: TargetRun, stateId: string, failed: HealthCheckResult): Promise<void> {
  const firstLine = failed.output?.split('\n')[0];
  const why = `check ${failed.label} failed${firstLine ? ` (${firstLine})` : ''}`;
  if (!env.magicRollback) return run.finish('failed', `${why}; kept generation ${run.generation ?? '?'} (no rollback)`);
  run.enter('rollback', why);
  const decision = await decideWithRetry(env, run, stateId, 'rollback');
  const rolled = rolledBackGeneration(decision?.result);
  if (rolled !== undefined) {
    run.rolledBackTo = rolled;
    return run.finish('rolled-back', `rolled back: ${why}; back on generation ${rolled}`);
  }
  return run.finish('failed', `${why}; the rollback did not finish (${decision?.result ?? `${run.spec.host} not reachable`})`);
}

/**
 * The connection went during the health checks (the new generation broke SSH?): the checks
 * did not pass, so never confirm; the host rolls back by itself unless reached first.
 */
async function rollBackAfterLostConnection(env: DeployEnv, run: TargetRun, stateId: string): Promise<void> {
  const why = 'lost the connection during the health checks (the new generation broke SSH?)';
  run.enter('rollback', why);
  const decision = await decideWithRetry(env, run, stateId, 'rollback');
  const rolled = rolledBackGeneration(decision?.result);
  if (rolled !== undefined) {
    run.rolledBackTo = rolled;
    return run.finish('rolled-back', `${why}: rolled back to generation ${rolled}`);
  }
  return run.finish('failed', `${why}; could not reach ${run.spec.host} again: it rolls back by itself to generation ${run.previousGeneration ?? '?'} (not verified)`);
}

function doneMessage(env: DeployEnv, run: TargetRun): string {
  return `${env.mode === 'dry-activate' ? 'dry-activated' : env.mode === 'boot' ? 'set as boot default' : 'activated'}${run.generation !== undefined ? ` generation ${run.generation}` : ''}`;
}

/** Reach the host on a new connection and decide; retries until the confirm window (plus a margin to read a rollback) is over. */
async function decideWithRetry(env: DeployEnv, run: TargetRun, stateId: string, decision: 'confirmed' | 'rollback'): Promise<DecisionReport | undefined> {
  const log = logFor(env, run);
  const windowMs = env.confirmTimeoutSeconds * 1000;
  const confirmBy = Date.now() + windowMs;
  const giveUpAt = confirmBy + windowMs + 20_000;
  let warned = false;
  while (Date.now() < giveUpAt) {
    try {
      const session = await reconnect(env, run, Math.max(2000, Math.min(5000, giveUpAt - Date.now())));
      try {
        // Wait for the activation itself as long as the host allows (it may still be running).
        const report = await decide(session, hostKindOf(run.spec), stateId, decision, 600, run.lockOwner ?? '');
        if (report.unlocked) run.lockOwner = undefined;
        if (report.decision !== 'none' || report.status?.startsWith('failed')) return report;
      } finally {
        session.close();
      }
    } catch (error) {
      if (!warned) {
        log(`cannot reach ${run.spec.host} yet: ${toWireError(error).message}`, 'error');
        warned = true;
      }
      if (Date.now() > confirmBy) run.update({ message: 'not confirmed in time: waiting for the host to roll back' });
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}
