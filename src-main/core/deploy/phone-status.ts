import { adbService } from '../android/adb-service';
import { droidProfile } from '../android/generations';
import { openPhoneSession, type PhoneSession } from '../android/phone-session';
import type { CoreContext } from '../context';
import { toWireError } from '../contract';
import { withPhoneRoutes } from './droid-stages';
import { keyValues, probeScript } from './remote-scripts';
import type { DeployRecord, DeployTargetSpec, HostStatus } from './types';

/**
 * A droid's status, as hostStatus reads a host's: its phone found (given or linked), its
 * generation and lock read with the same probe. Never asks a question, never throws: a
 * phone that is not connected reads as offline with the reason.
 */
export async function phoneStatus(ctx: CoreContext, spec: DeployTargetSpec, last?: DeployRecord): Promise<HostStatus> {
  const outcome = last?.outcomes.find((o) => o.target === spec.id);
  const base = {
    target: spec.id,
    host: spec.host,
    ...(last && outcome ? { lastDeploy: { id: last.id, status: last.status === 'interrupted' ? ('interrupted' as const) : outcome.status, at: last.finishedAt ?? last.startedAt } } : {}),
    checkedAt: Date.now(),
  };
  let session: PhoneSession | undefined;
  try {
    const [routed] = await withPhoneRoutes(ctx, [spec]);
    const route = routed?.phone?.route;
    if (!routed || !route) return { ...base, online: false, error: 'No phone to check.' };
    const login = { ...(spec.user ? { user: spec.user } : {}), ...(spec.phone?.identityFile ? { identityFile: spec.phone.identityFile } : {}) };
    session = await openPhoneSession(ctx, adbService(ctx), route, login, { ask: false });
    const facts = keyValues((await session.connection.script(probeScript, ['droid', droidProfile, ''])).stdout);
    const current = facts.get('current');
    const generation = facts.get('generation');
    const lock = facts.get('lock');
    return {
      ...base,
      host: routed.host,
      online: true,
      ...(current ? { currentSystem: current } : {}),
      ...(generation ? { generation: Number(generation) } : {}),
      ...(lock ? { lock } : {}),
    };
  } catch (error) {
    return { ...base, online: false, error: toWireError(error).message };
  } finally {
    session?.close();
  }
}
