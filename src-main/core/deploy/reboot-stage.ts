import { setTimeout as sleep } from 'node:timers/promises';
import { FleetError, toWireError } from '../contract';
import { checksStage, failedBeforeDeploy } from './checks-stage';
import { HostSession, type RootAccess } from './host-session';
import { logFor, type DeployEnv } from './host-stages';
import { noteBootState } from './note-boot-state';
import type { RebootGate } from './reboot-gate';
import { afterRebootScript, rebootScript } from './reboot-scripts';
import { keyValues, lockScript } from './remote-scripts';
import { listGenerations } from './status';
import type { TargetRun } from './target-run';
import type { RebootReport } from './types';
import { formatClock } from '../../shared/units';

/** How long a host may take to go down and come back when nobody said (`--timeout`). */
export const defaultRebootTimeoutSeconds = 300;

/** What every host's reboot in one job shares. */
export interface RebootEnv {
  /** The rolling rule: how many hosts may be down at once. */
  readonly gate: RebootGate;
  readonly timeoutSeconds: number;
  /** `fleet reboot`: no build, copy or activation before. */
  readonly only: boolean;
  /** Hosts not back in time, still watched while the other hosts go on (and as long again as the timeout). */
  readonly late: Promise<void>[];
  /** Aborts once every host's turn is over: a host not back is then watched only until twice its timeout has passed. */
  readonly othersDone: AbortSignal;
}

/** The generation a host should boot: the boot default (a deploy's new generation, or the profile as found). */
export interface ExpectedBoot {
  readonly system: string;
  readonly generation?: number;
}

/** A host that answered from a new boot, and what it says. */
interface NewBoot {
  readonly session: HostSession;
  readonly facts: ReadonlyMap<string, string>;
}

/**
 * The `reboot` stage of a system: wait for its turn (the rolling rule), ask it to reboot, wait
 * for it to go away and answer again from a new boot (progress every second), check it booted
 * the expected generation, then run its health checks. The reboot is asked for once; a host
 * not back within the timeout is reported with what is known and watched (never rebooted
 * again) while the other hosts go on and until as long again as the timeout has passed: when
 * it answers, the report says when and what it booted. Ends the target.
 */
export async function rebootStage(env: DeployEnv, run: TargetRun, expected: ExpectedBoot): Promise<void> {
  const reboot = env.reboot!;
  const log = logFor(env, run);
  const host = run.spec.host;
  const failedBefore = env.skipChecks ? undefined : await failedBeforeDeploy(env, run);
  run.enter('reboot', 'waiting for its turn to reboot');
  const release = await reboot.gate.acquire(run.spec, env.job.signal, (why) => {
    run.update({ message: `waiting: ${why}` });
    log(`waiting to reboot: ${why}`, 'info');
  });
  const requestedAt = Date.now();
  let report: RebootReport = {
    ...(expected.generation !== undefined ? { expectedGeneration: expected.generation } : {}),
    expectedSystem: expected.system,
    requestedAt,
    lastSeenAt: requestedAt,
    result: 'not-down',
  };
  const note = (change: Partial<RebootReport>) => {
    report = { ...report, ...change };
    run.reboot = report;
  };
  note({});
  let back: NewBoot | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    log(`rebooting ${host}; it should boot generation ${expected.generation ?? '?'} (${expected.system})`, 'info');
    run.update({ message: `rebooting ${host}` });
    await askToReboot(env, run);
    const old = run.session!;
    const root = old.root;
    const seconds = () => Math.round((Date.now() - requestedAt) / 1000);
    const tick = () => {
      if (report.downAt === undefined && !old.connection.isOpen) note({ downAt: Date.now() });
      run.update({ message: report.downAt === undefined ? `waiting for ${host} to go down, ${seconds()} s` : `waiting for ${host} to come back, ${seconds()} s` });
    };
    ticker = setInterval(tick, 1000);
    back = await waitForNewBoot(env, run, requestedAt + reboot.timeoutSeconds * 1000, (change) => {
      note(change);
      // "went down" shows at once, not at the next tick.
      if (change.downAt !== undefined) tick();
    });
    clearInterval(ticker);
    ticker = undefined;
    old.close();
    if (!back) {
      const message = notBackMessage(run, report, reboot.timeoutSeconds);
      log(message, 'error');
      // Its /run (and the deploy lock in it) went with the reboot. A host that never went down
      // still holds the lock: the session stays (closed) so that the release reconnects for it.
      if (report.downAt !== undefined) {
        run.lockOwner = undefined;
        run.session = undefined;
      }
      note({ result: report.downAt === undefined ? 'not-down' : 'not-back' });
      run.fail(
        new FleetError(report.downAt === undefined ? 'did-not-go-down' : 'did-not-come-back', message, {
          hint: 'Nothing was retried. Look at its console (or power it on); `fleet status` shows what it runs once it answers.',
        }).toWire(),
      );
      reboot.late.push(watchLate(env, run, root, message, () => report, note));
      return;
    }
  } catch (error) {
    if (ticker) clearInterval(ticker);
    back?.session.close();
    throw error;
  } finally {
    // Its turn is over: back, or reported as not back. The next host may go down.
    release();
  }

  // A new boot: /run (and the deploy lock in it) is new. Take the lock again for the checks.
  run.lockOwner = undefined;
  run.session = back.session;
  const booted = back.facts.get('booted');
  const bootedGeneration = booted ? await generationOf(back.session, booted) : undefined;
  note({ backAt: Date.now(), ...(booted ? { bootedSystem: booted } : {}), ...(bootedGeneration !== undefined ? { bootedGeneration } : {}) });
  const after = Math.round(((report.backAt ?? Date.now()) - requestedAt) / 1000);
  log(`${host} is back after ${after} s; it booted ${bootedGeneration !== undefined ? `generation ${bootedGeneration}` : (booted ?? 'nothing it names (/run/booted-system is missing)')}`, 'info');
  await retakeLock(env, run);
  if (booted !== expected.system) {
    note({ result: 'other-generation' });
    const message = otherGenerationMessage(booted, bootedGeneration, expected);
    log(message, 'error');
    return run.fail(
      new FleetError('booted-other-generation', message, {
        hint: `Its boot loader did not start generation ${expected.generation ?? '?'} (a failed boot falls back to the entry before). The boot default is unchanged; look at its boot log, and \`fleet reboot ${run.spec.id}\` once fixed.`,
      }).toWire(),
    );
  }
  note({ result: 'came-back' });
  await noteBootState(env, run);
  if (!env.skipChecks && !env.job.signal.aborted) {
    const failed = (await checksStage(env, run, failedBefore))?.failed;
    if (failed) {
      const firstLine = failed.output?.split('\n')[0];
      // A rollback now would need another reboot: that is the person's call, not a blind retry.
      return run.finish(
        'failed',
        `check ${failed.label} failed after the reboot${firstLine ? ` (${firstLine})` : ''}; kept generation ${expected.generation ?? '?'} (to go back: fleet rollback ${run.spec.id}, then fleet reboot ${run.spec.id})`,
      );
    }
  }
  run.finish('succeeded', `rebooted into generation ${expected.generation ?? '?'} (back after ${after} s)`);
}

/** Leave the mark and ask for the reboot, once. A connection dropped by the reboot itself is no error. */
async function askToReboot(env: DeployEnv, run: TargetRun): Promise<void> {
  try {
    const result = await run.session!.scriptAsRoot(rebootScript, [env.deployId], { signal: env.job.signal });
    if (result.code !== 0) {
      throw new FleetError('reboot-failed', `${run.spec.host} did not reboot: ${result.stderr.trim() || `exit code ${result.code}`}.`, {
        hint: 'The host was not rebooted and still runs as before.',
      });
    }
  } catch (error) {
    if (error instanceof FleetError && error.code === 'connection-lost') return;
    throw error;
  }
}

/**
 * Try the host every second until it answers from a new boot (its reboot mark is gone) or the
 * deadline passes. `note` hears when it was last seen and when it went down.
 */
async function waitForNewBoot(
  env: DeployEnv,
  run: TargetRun,
  deadline: number,
  note: (change: Partial<RebootReport>) => void,
): Promise<NewBoot | undefined> {
  let downAt: number | undefined;
  let lastError = '';
  const root = run.session!.root;
  while (Date.now() < deadline) {
    env.job.throwIfCancelled();
    const started = Date.now();
    const seen = await tryHost(env, run, root, Math.max(1000, Math.min(3000, deadline - started))).catch((error: unknown) => {
      const wire = toWireError(error);
      if (wire.code === 'cancelled') throw error;
      if (wire.message !== lastError) logFor(env, run)(`not answering: ${wire.message}`, 'info');
      lastError = wire.message;
      return undefined;
    });
    if (seen && seen.facts.get('rebooted') === 'yes') return seen;
    if (seen) {
      seen.session.close();
      note({ lastSeenAt: Date.now() });
    } else if (downAt === undefined) {
      downAt = Date.now();
      note({ downAt });
      logFor(env, run)(`${run.spec.host} went down`, 'info');
    }
    const rest = 1000 - (Date.now() - started);
    if (rest > 0) await sleep(rest, undefined, { signal: env.job.signal }).catch(() => undefined);
  }
  return undefined;
}

/** One attempt: a new connection (host key as known, never asked) and the after-reboot probe as root (as the deploy became root). */
async function tryHost(env: DeployEnv, run: TargetRun, root: RootAccess, timeoutMs: number): Promise<NewBoot> {
  const signal = env.job.signal;
  const connection = await env.service.connect({
    host: run.spec.host,
    ...(run.spec.user ? { user: run.spec.user } : {}),
    ...(run.spec.port ? { port: run.spec.port } : {}),
    jobId: env.job.id,
    signal,
    connectTimeoutMs: timeoutMs,
    acceptUnknownKeys: false,
  });
  const session = new HostSession(connection, root);
  try {
    const result = await session.scriptAsRoot(afterRebootScript, [], { signal });
    if (result.code !== 0) throw new FleetError('failed', `the after-reboot probe failed: ${result.stderr.trim() || `exit code ${result.code}`}`);
    return { session, facts: keyValues(result.stdout) };
  } catch (error) {
    session.close();
    throw error;
  }
}

/** The generation number of a system profile link pointing at `system`, if any. */
async function generationOf(session: HostSession, system: string): Promise<number | undefined> {
  try {
    return (await listGenerations(session, 'system')).find((g) => g.path === system)?.number;
  } catch {
    return undefined;
  }
}

/** The deploy lock was in /run: take it again on the new boot (another deploy may have taken it meanwhile). */
async function retakeLock(env: DeployEnv, run: TargetRun): Promise<void> {
  const owner = env.service.ownerLine(env.deployId);
  try {
    const taken = await run.session!.scriptAsRoot(lockScript, ['system', owner, ''], { signal: env.job.signal });
    if (/^acquired$/m.test(taken.stdout)) run.lockOwner = owner;
    else logFor(env, run)(`after the reboot, the deploy lock of ${run.spec.host} is held by someone else: ${taken.stdout.trim()}`, 'error');
  } catch (error) {
    logFor(env, run)(`could not take the deploy lock again after the reboot: ${toWireError(error).message}`, 'error');
  }
}

function notBackMessage(run: TargetRun, report: RebootReport, timeoutSeconds: number): string {
  if (report.downAt === undefined) return `did not go down within ${timeoutSeconds} s of asking it to reboot (last answered ${formatClock(report.lastSeenAt)}, still on its old boot)`;
  return `did not come back within ${timeoutSeconds} s (last seen ${formatClock(report.lastSeenAt)}, not answering since ${formatClock(report.downAt)})`;
}

function otherGenerationMessage(booted: string | undefined, bootedGeneration: number | undefined, expected: ExpectedBoot): string {
  const wanted = `generation ${expected.generation ?? '?'}`;
  if (!booted) return `came back, but does not say what it booted (no /run/booted-system); expected ${wanted}`;
  if (bootedGeneration === undefined) return `booted ${booted} instead of ${wanted} (${expected.system})`;
  if (expected.generation !== undefined && bootedGeneration < expected.generation) return `booted the previous generation ${bootedGeneration} instead of ${expected.generation}`;
  return `booted generation ${bootedGeneration} instead of ${expected.generation ?? expected.system}`;
}

/**
 * A host not back in time: keep trying it (every 2 s, never rebooting it) while the other hosts
 * go on, and at least until twice its timeout has passed since the reboot was asked for; when it
 * answers from a new boot, its outcome says when and what it booted. It stays failed: it was
 * not back in time, and its health checks are not run (that is the person's call).
 */
async function watchLate(
  env: DeployEnv,
  run: TargetRun,
  root: RootAccess,
  message: string,
  report: () => RebootReport,
  note: (change: Partial<RebootReport>) => void,
): Promise<void> {
  const { othersDone, timeoutSeconds } = env.reboot!;
  const watchedFrom = Date.now();
  const until = report().requestedAt + 2 * timeoutSeconds * 1000;
  const watching = () => !env.job.signal.aborted && (!othersDone.aborted || Date.now() < until);
  const watchUntil = `until ${formatClock(until)} at least, without rebooting it again`;
  run.update({ message: `${message}; still watching for it ${watchUntil}` });
  // In the job log too: a log read later (no progress line there, `fleet log`) says it was watched.
  logFor(env, run)(`still watching for ${run.spec.host} ${watchUntil}`, 'info');
  while (watching()) {
    await sleep(2000, undefined, { signal: env.job.signal }).catch(() => undefined);
    if (!watching()) break;
    const seen = await tryHost(env, run, root, 3000).catch(() => undefined);
    if (!seen) continue;
    try {
      if (seen.facts.get('rebooted') !== 'yes') {
        note({ lastSeenAt: Date.now() });
        continue;
      }
      const booted = seen.facts.get('booted');
      const generation = booted ? await generationOf(seen.session, booted) : undefined;
      const at = Date.now();
      note({ answeredLaterAt: at, ...(booted ? { bootedSystem: booted } : {}), ...(generation !== undefined ? { bootedGeneration: generation } : {}) });
      const expected = report().expectedGeneration;
      const what = generation !== undefined ? `generation ${generation}${expected !== undefined && generation !== expected ? ` instead of ${expected}` : ''}` : (booted ?? 'nothing it names');
      const later = `${message}; it answered ${Math.round((at - report().requestedAt) / 1000)} s after the reboot was asked for, having booted ${what}`;
      logFor(env, run)(later, 'info');
      run.finish(run.status, later);
      return;
    } finally {
      seen.session.close();
    }
  }
  if (env.job.signal.aborted) return run.finish(run.status, message);
  const { lastSeenAt } = report();
  const never =
    lastSeenAt >= watchedFrom
      ? `${message}; it still answered from its old boot at ${formatClock(lastSeenAt)} (not asked again)`
      : `${message}; no answer by ${formatClock(Date.now())} either (not rebooted again)`;
  logFor(env, run)(never, 'error');
  run.finish(run.status, never);
}
