import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import { adbService } from './adb-service';
import { droidProfile } from './generations';
import { openPhoneSession, resolveRoute, type PhoneSession } from './phone-session';
import type { HostExec } from '../closure/listing';
import { diffAgainstHost, type ClosureDiffReport } from '../closure/report';
import type { DroidAgainstPhone, LocalSide, PhoneReach } from '../closure/diff-job';

/** A phone session as a HostExec; "lost" (the adb stream dropped) becomes an error. */
function phoneExec(session: PhoneSession, signal?: AbortSignal): HostExec {
  return async (argv) => {
    const result = await session.run(argv, signal);
    if (result.lost) throw new FleetError('connection-lost', 'The connection to the phone was lost.');
    return result;
  };
}

/**
 * Compare a droid's local build with the Nix-on-Droid generation its phone runs: open the
 * phone's SSH session (over adb, or the linked phone), list the profile's closure in one
 * command. A phone that is not connected, or has no sshd, gives an "unknown" old side.
 */
export const diffDroidAgainstPhone: DroidAgainstPhone = async (
  ctx: CoreContext,
  droid: string,
  newSide: LocalSide,
  reach: PhoneReach,
  options: { readonly jobId?: string; readonly signal?: AbortSignal; readonly profile?: string; readonly log?: (text: string) => void } = {},
): Promise<ClosureDiffReport> => {
  const started = performance.now();
  const profile = options.profile ?? droidProfile;
  const machine = { kind: 'droid' as const, name: droid };
  let session: PhoneSession | undefined;
  let label = `${droid} (phone)`;
  try {
    try {
      const adb = adbService(ctx);
      const route = await resolveRoute(ctx, adb, droid, reach.serial ? { serial: reach.serial } : {});
      label = `${droid} on ${route.kind === 'adb' ? route.serial : `${route.host}:${route.port}`} (running)`;
      options.log?.(`listing the closure of ${profile} on ${label}`);
      session = await openPhoneSession(
        ctx,
        adb,
        route,
        { ...(reach.user ? { user: reach.user } : {}), ...(reach.identityFile ? { identityFile: reach.identityFile } : {}) },
        { ...(options.signal ? { signal: options.signal } : {}), ...(options.jobId ? { jobId: options.jobId } : {}) },
      );
    } catch (error) {
      return {
        machine,
        old: { label, source: 'host', storePath: profile, state: 'unknown', error: (error as Error).message },
        new: { label: newSide.label, source: newSide.source, storePath: newSide.storePath, state: 'ok', paths: newSide.entries.length, bytes: newSide.entries.reduce((s, e) => s + e.narSize, 0) },
        durationMs: Math.round(performance.now() - started),
      };
    }
    const exec = phoneExec(session, options.signal);
    return await diffAgainstHost(async () => exec, label, newSide, { hostPath: profile, machine });
  } finally {
    session?.close();
  }
};
