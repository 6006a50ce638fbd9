import type { CoreContext } from '../context';
import { saysDiskFull } from '../nix/nix-errors';
import { FleetError } from '../contract';
import type { AdbService } from './adb-service';
import { currentGeneration } from './generations';
import { openPhoneSession, type PhoneSession } from './phone-session';
import { cancelSwitch, followSwitch, startSwitch, switchRunDir, type FollowResult } from './switch-runner';

type Log = (text: string, stream: 'stdout' | 'stderr' | 'info' | 'error') => void;

export interface PhoneSwitchOptions {
  readonly signal: AbortSignal;
  readonly jobId: string;
  readonly log: Log;
  readonly login: { readonly user?: string; readonly identityFile?: string };
  /** Called when the link dropped and the phone is being waited for. */
  readonly onReconnecting?: () => void;
  /** How long to wait for a phone that went away mid-switch (default 120 s). */
  readonly reconnectTimeoutMs?: number;
}

export interface PhoneSwitchResult {
  /** The generation the phone ended on. */
  readonly after?: number;
  /** The link dropped and the outcome was read after reconnecting. */
  readonly reconnected: boolean;
  /** The session in use at the end (a new one after a reconnect): the caller closes it. */
  readonly session: PhoneSession;
}

/** Wait for the phone to come back (after an unplug or a dropped Wi-Fi link) and open SSH again. */
async function reconnectPhone(ctx: CoreContext, adb: AdbService, session: PhoneSession, options: PhoneSwitchOptions): Promise<PhoneSession | undefined> {
  const since = Date.now();
  const deadline = since + (options.reconnectTimeoutMs ?? 120_000);
  const route = session.route;
  while (Date.now() < deadline && !options.signal.aborted) {
    try {
      if (route.kind === 'adb' && /^[^\s:]+:\d+$/.test(route.serial) && Date.now() - since > 10_000) {
        // adb over TCP: the server retries a dropped link by itself; when the phone left its
        // list altogether, ask it to connect again, as `adb connect` would.
        const [host, port] = route.serial.split(':');
        await (await adb.client()).connect(host as string, Number(port)).catch(() => undefined);
      }
      return await openPhoneSession(ctx, adb, route, options.login, { signal: options.signal, jobId: options.jobId });
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  return undefined;
}

/**
 * Run `nix-on-droid switch --flake <source>#<droid>` on the phone (it builds there and
 * activates), detached from the SSH session, following its log. If the link drops, wait
 * for the phone, then report the generation it really ended with: never success without
 * having seen it. Cancelling stops the switch on the phone.
 */
export async function switchOnPhone(
  ctx: CoreContext,
  adb: AdbService,
  first: PhoneSession,
  droid: string,
  sourceDir: string,
  before: number | undefined,
  options: PhoneSwitchOptions,
): Promise<PhoneSwitchResult> {
  const { log, signal } = options;
  let session = first;
  const runDir = switchRunDir(droid);
  log(`Running nix-on-droid switch --flake <source>#${droid} on the phone...`, 'info');
  const started = await startSwitch(session, runDir, droid, sourceDir);
  const lines: string[] = [];
  let offset = 0;
  let reconnected = false;
  try {
    for (let firstRound = true; ; firstRound = false) {
      const followed: FollowResult =
        firstRound && !started
          ? { status: null, offset: 0 }
          : await followSwitch(
              session,
              runDir,
              offset,
              (line) => {
                lines.push(line);
                if (lines.length > 400) lines.shift();
                log(line, 'stdout');
              },
              signal,
            );
      offset = followed.offset;
      if (signal.aborted) {
        log('Stopping nix-on-droid switch on the phone...', 'info');
        await cancelSwitch(session, runDir).catch(() => undefined);
        const now = await currentGeneration(session).catch(() => undefined);
        log(`After cancelling, the phone is on generation ${now ?? 'none'}.`, 'info');
        throw new FleetError('cancelled', 'Cancelled.');
      }
      if (followed.status !== null) {
        const after = await currentGeneration(session, signal);
        if (followed.status === 'lost') {
          throw new FleetError('switch-lost', `nix-on-droid switch stopped on the phone without an exit status; the phone is on generation ${after ?? 'none'}.`);
        }
        if (followed.status !== 0) {
          const tail = lines.slice(-20).join('\n');
          const full = saysDiskFull(tail);
          throw new FleetError(
            full ? 'disk-full' : 'switch-failed',
            `nix-on-droid switch failed on the phone (exit ${followed.status}); it stays on generation ${after ?? before ?? 'none'}.\n${tail}`,
            full ? { hint: 'The phone is out of space: run `nix-collect-garbage -d` in Nix-on-Droid or free storage, then deploy again.' } : {},
          );
        }
        if (after === undefined || (before !== undefined && after <= before)) {
          // Same closure as before: nix-env keeps the generation; still a success, said plainly.
          log(`The configuration did not change; the phone stays on generation ${after ?? 'none'}.`, 'info');
        } else {
          log(`The phone is now on generation ${after}${reconnected ? ' (confirmed after reconnecting)' : ''}.`, 'info');
        }
        return { ...(after !== undefined ? { after } : {}), reconnected, session };
      }
      // The link dropped while the switch runs on the phone: wait for it to come back.
      log('Lost the connection to the phone in the middle of the switch; waiting for it to come back...', 'error');
      options.onReconnecting?.();
      session.close();
      const again = await reconnectPhone(ctx, adb, session, options);
      if (!again) {
        if (signal.aborted) throw new FleetError('cancelled', 'Cancelled.');
        throw new FleetError('device-lost', `Lost the phone during the deploy of ${droid} and it did not come back; the outcome is unknown (it was on generation ${before ?? 'none'}).`, {
          hint: `Reconnect the phone and check with \`fleet droid generations ${droid}\`; deploy again if needed.`,
        });
      }
      session = again;
      reconnected = true;
      log('Reconnected; reading what the phone did meanwhile...', 'info');
    }
  } catch (error) {
    // The caller closes the session it knows about; a reconnected one is closed here.
    if (session !== first) session.close();
    throw error;
  }
}
