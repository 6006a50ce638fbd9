import { adbService } from '../android/adb-service';
import { currentGeneration, droidProfile } from '../android/generations';
import { activateOnPhone, copyToPhone } from '../android/laptop-build';
import { openPhoneSession, resolveRoute, type PhoneSession } from '../android/phone-session';
import { phoneSourceDir, sendFlakeSource } from '../android/phone-source';
import { switchOnPhone } from '../android/phone-switch';
import { switchPhoneGeneration } from '../android/phone-generations';
import type { PhoneRouteInput } from '../android/contract';
import type { PhoneRoute } from '../android/types';
import { FleetError, toWireError } from '../contract';
import type { CoreContext } from '../context';
import { formatBytes } from '../../shared/units';
import { logFor, type DeployEnv } from './host-stages';
import { keyValues, lockScript, probeScript, unlockScript } from './remote-scripts';
import type { TargetRun } from './target-run';
import { withPhoneRoute } from './targets';
import type { DeployTargetSpec } from './types';

/**
 * The droid kind's stages in the one deploy pipeline. A droid is a Nix-on-Droid phone
 * reached over its SSH session (the adb forward, or the network):
 *   pre-flight: connect, read its generation, take its lock (~/.cache/homelab-fleet/lock);
 *   build:      here (buildOn laptop, in the shared build stage), or on the phone during activation;
 *   copy:       the closure's missing paths (built here), or the flake source (built on the phone);
 *   activate:   set the profile and activate, or `nix-on-droid switch --flake` detached on the
 *               phone, followed through a dropped link.
 * Phones have no magic rollback: there is nothing to confirm from a second connection.
 */

/**
 * Find each droid target's phone before the deploy starts (so a missing phone is an error at
 * once): the serial or network host given, else the one connected phone linked to the droid.
 */
export async function withPhoneRoutes(ctx: CoreContext, specs: readonly DeployTargetSpec[], input: PhoneRouteInput = {}): Promise<DeployTargetSpec[]> {
  return Promise.all(
    specs.map(async (spec) => {
      if (spec.kind !== 'droid' || !spec.phone || spec.phone.route) return spec;
      const adb = adbService(ctx);
      const route = await resolveRoute(ctx, adb, spec.config, input);
      if (route.kind === 'adb') await adb.usableDevice(route.serial);
      return withPhoneRoute(spec, route);
    }),
  );
}

function routeOf(run: TargetRun): PhoneRoute {
  const route = run.spec.phone?.route;
  if (!route) throw new FleetError('invalid-input', `${run.spec.id} has no phone to deploy to.`);
  return route;
}

function login(run: TargetRun): { user?: string; identityFile?: string } {
  return { ...(run.spec.user ? { user: run.spec.user } : {}), ...(run.spec.phone?.identityFile ? { identityFile: run.spec.phone.identityFile } : {}) };
}

function where(route: PhoneRoute): string {
  return route.kind === 'adb' ? `phone ${route.serial} (adb)` : `${route.host}:${route.port} (ssh)`;
}

function lockKey(run: TargetRun): string {
  return `${run.spec.kind}:${run.spec.host}`;
}

/** Pre-flight of a droid: reach the phone, read its generation, take its lock. */
export async function droidPreflight(env: DeployEnv, run: TargetRun): Promise<void> {
  const log = logFor(env, run);
  run.enter('preflight', 'connecting to the phone');
  const claimedBy = env.service.claim(lockKey(run), env.deployId);
  if (claimedBy) return run.finish('failed', `${run.spec.host} is being deployed by ${claimedBy} in this app; refusing a second deploy.`);
  try {
    const route = routeOf(run);
    log(`Connecting to ${where(route)}...`, 'info');
    run.phone = await openPhoneSession(env.core, adbService(env.core), route, login(run), { signal: env.job.signal, jobId: env.job.id });
    const owner = env.service.ownerLine(env.deployId);
    const probe = await run.phone.connection.script(probeScript, ['droid', droidProfile, owner], { signal: env.job.signal });
    const facts = keyValues(probe.stdout);
    const generation = facts.get('generation');
    if (generation) run.previousGeneration = Number(generation);
    run.currentSystem = facts.get('current') || undefined;
    log(generation ? `The phone is on generation ${generation}.` : 'The phone has no Nix-on-Droid generation yet.', 'info');
    let lock = facts.get('locked') ?? '';
    let held = /^held (.*)$/m.exec(lock)?.[1];
    if (held !== undefined && env.service.isStale(held)) {
      log(`releasing a stale lock left by an interrupted deploy: ${held}`, 'info');
      lock = (await run.phone.connection.script(lockScript, ['droid', owner, held])).stdout;
      held = /^held (.*)$/m.exec(lock)?.[1];
    }
    if (!/^acquired$/m.test(lock)) {
      throw new FleetError('locked', `The phone of ${run.spec.config} is locked by another deploy: ${held ?? (lock.trim() || 'the lock could not be taken')}.`, {
        hint: 'Wait for that deploy to finish. If it is gone for good, remove ~/.cache/homelab-fleet/lock in Nix-on-Droid.',
      });
    }
    run.lockOwner = owner;
    run.rest('ready');
  } catch (error) {
    const wire = toWireError(error);
    log(wire.message + (wire.hint ? `\n${wire.hint}` : ''), 'error');
    await releaseDroid(env, run);
    run.fail(wire);
  }
}

/** Copy: the missing store paths of a closure built here, or the flake source the phone builds. */
export async function droidCopy(env: DeployEnv, run: TargetRun): Promise<void> {
  const phone = run.phone!;
  const log = logFor(env, run);
  const spec = run.spec.phone!;
  if (spec.buildOn === 'laptop') {
    run.enter('copy', 'checking which paths the phone has');
    const copied = await copyToPhone(phone, run.outPath!, { env: env.core.env, signal: env.job.signal, log });
    run.copiedPaths = copied.sent;
    run.update({ message: copied.sent === 0 ? 'nothing to copy' : `copied ${copied.sent} of ${copied.closure} paths` });
    return;
  }
  run.enter('copy', `sending the flake source${phone.route.kind === 'adb' ? ' over adb' : ' over ssh'}`);
  const revision = await sendFlakeSource(adbService(env.core), phone, env.core.root(), run.spec.config, spec.source, {
    signal: env.job.signal,
    log,
    onBytes: (bytes) => run.update({ message: `sent ${formatBytes(bytes)} of the flake source` }),
  });
  run.revision = revision;
}

/** Activate: set the profile to the closure copied here and activate it, or switch on the phone. Ends the target. */
export async function droidActivate(env: DeployEnv, run: TargetRun): Promise<void> {
  const log = logFor(env, run);
  const spec = run.spec.phone!;
  const before = run.previousGeneration;
  if (spec.buildOn === 'laptop') {
    run.enter('activate', 'activating on the phone');
    await activateOnPhone(run.phone!, run.outPath!, { signal: env.job.signal, log });
    const after = await currentGeneration(run.phone!, env.job.signal);
    log(`The phone is now on generation ${after ?? 'none'}.`, 'info');
    if (after !== undefined) run.generation = after;
    return run.finish('succeeded', `activated generation ${after ?? '?'}`);
  }
  run.enter('activate', 'nix-on-droid switch: builds and activates on the phone');
  const switched = await switchOnPhone(env.core, adbService(env.core), run.phone!, run.spec.config, phoneSourceDir(run.spec.config), before, {
    signal: env.job.signal,
    jobId: env.job.id,
    log,
    login: login(run),
    onReconnecting: () => run.update({ message: 'waiting for the phone to come back' }),
  });
  run.phone = switched.session;
  if (switched.reconnected) run.reconnected = true;
  if (switched.after !== undefined) run.generation = switched.after;
  const same = switched.after === undefined || (before !== undefined && switched.after <= before);
  return run.finish('succeeded', same ? `unchanged: stays on generation ${switched.after ?? 'none'}` : `activated generation ${switched.after}${switched.reconnected ? ' (confirmed after reconnecting)' : ''}`);
}

/** A rollback's activate: switch the phone to an existing generation (nothing is built or copied). Ends the target. */
export async function droidSwitchGeneration(env: DeployEnv, run: TargetRun, generation: number): Promise<void> {
  const log = logFor(env, run);
  run.enter('activate', `nix-on-droid switch-generation ${generation}`);
  const after = await switchPhoneGeneration(run.phone!, generation, { signal: env.job.signal, log });
  log(`The phone is now on generation ${after ?? 'none'}.`, 'info');
  if (after !== undefined) run.generation = after;
  if (after !== generation) throw new FleetError('rollback-failed', `nix-on-droid switch-generation ${generation} left the phone on generation ${after ?? 'none'}.`);
  return run.finish('succeeded', `rolled back to generation ${generation}`);
}

/** Release the phone's lock (best effort, over a new connection when the old one dropped) and close its session. */
export async function releaseDroid(env: DeployEnv, run: TargetRun): Promise<void> {
  const owner = run.lockOwner;
  if (owner) {
    let session: PhoneSession | undefined = run.phone?.connection.isOpen ? run.phone : undefined;
    try {
      session ??= await openPhoneSession(env.core, adbService(env.core), routeOf(run), login(run), { jobId: env.job.id });
      await session.connection.script(unlockScript, ['droid', owner]);
      run.lockOwner = undefined;
    } catch {
      logFor(env, run)('could not release the lock on the phone; the next deploy will find it stale', 'error');
    } finally {
      if (session && session !== run.phone) session.close();
    }
  }
  run.phone?.close();
  env.service.release(lockKey(run), env.deployId);
}
