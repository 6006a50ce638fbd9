import type { Duplex } from 'node:stream';
import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import type { SshConnection } from '../ssh/connection';
import { sshSessions } from '../ssh/sessions';
import type { AdbService } from './adb-service';
import type { PhoneRouteInput } from './contract';
import { vouchFromLegacyFile } from './legacy-phone-keys';
import type { PhoneRoute } from './types';

/** Nix-on-Droid's sshd port, as Termux uses. */
export const phoneSshPort = 8022;
/** The login user of Nix-on-Droid's sshd when none is named. */
export const defaultPhoneUser = 'nix-on-droid';

/** An SSH session to a phone, over the adb stream or the network. */
export interface PhoneSession {
  readonly route: PhoneRoute;
  /** The session layer's connection: exec, scripts, channels, with its output limits. */
  readonly connection: SshConnection;
  /** Run argv on the phone (quoted), collecting its output; `lost` when the link dropped meanwhile. */
  run(argv: readonly string[], signal?: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string; lost: boolean }>;
  close(): void;
}

/**
 * Which phone a command for `droid` means: the network host if given, the serial if given,
 * else the one connected phone linked to the droid. Two linked phones connected is an error
 * naming both, so a deploy never picks one by chance.
 */
export async function resolveRoute(ctx: CoreContext, adb: AdbService, droid: string, input: PhoneRouteInput): Promise<PhoneRoute> {
  if (input.host) {
    if (input.serial) throw new FleetError('invalid-input', 'Give either a serial (adb) or a host (network ssh), not both.');
    return { kind: 'network', host: input.host, port: input.port ?? phoneSshPort };
  }
  if (input.serial) return { kind: 'adb', serial: input.serial };
  const links = ctx.settings.get().droidLinks;
  const linked = Object.keys(links).filter((serial) => links[serial] === droid);
  if (linked.length === 0) {
    throw new FleetError('no-linked-phone', `No phone is linked to droid ${droid}.`, {
      hint: `Run \`fleet droid setup <serial> ${droid}\` (it links the phone), or pass --serial.`,
    });
  }
  const client = await adb.client();
  const connected = ((await client.listDevices()) as { id: string }[]).map((d) => d.id);
  const present = linked.filter((serial) => connected.includes(serial));
  if (present.length === 0) {
    throw new FleetError('device-not-found', `The phone linked to droid ${droid} (${linked.join(', ')}) is not connected.`, {
      hint: 'Plug it in (or reconnect wireless debugging), or deploy over the network with --host.',
    });
  }
  if (present.length > 1) {
    throw new FleetError('ambiguous-phone', `Two phones linked to droid ${droid} are connected: ${present.join(', ')}.`, {
      hint: 'Choose one with --serial.',
    });
  }
  return { kind: 'adb', serial: present[0] as string };
}

/**
 * Open SSH to the phone on `route` through the core's one session layer: over the adb
 * forward to the phone's port 8022 (a stream), or over the network. Its host key is known
 * as "[adb:<serial>]:8022" (or "[<host>]:<port>") in the app's known_hosts.
 */
export async function openPhoneSession(
  ctx: CoreContext,
  adb: AdbService,
  route: PhoneRoute,
  login: { user?: string; identityFile?: string },
  options: { signal?: AbortSignal; jobId?: string; /** false: never ask (status checks): an unknown key is refused. */ ask?: boolean } = {},
): Promise<PhoneSession> {
  const legacyName = route.kind === 'adb' ? `adb:${route.serial}` : `${route.host}:${route.port}`;
  let stream: Duplex | undefined;
  if (route.kind === 'adb') {
    const device = await adb.usableDevice(route.serial);
    try {
      stream = (await device.openTcp(phoneSshPort)) as Duplex;
    } catch (error) {
      throw new FleetError('no-sshd', `Nothing listens on port ${phoneSshPort} in the phone ${route.serial} (${error instanceof Error ? error.message : String(error)}).`, {
        hint: 'Start sshd in Nix-on-Droid: `fleet droid setup` does it, or type `sshd` in the Nix-on-Droid app.',
      });
    }
  }
  let connection: SshConnection;
  try {
    connection = await sshSessions(ctx).open(
      {
        host: route.kind === 'adb' ? `adb:${route.serial}` : route.host,
        port: route.kind === 'adb' ? phoneSshPort : route.port,
        user: login.user ?? defaultPhoneUser,
        ...(stream ? { stream } : {}),
        ...(login.identityFile ? { identityFile: login.identityFile } : {}),
      },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.jobId ? { jobId: options.jobId } : {}),
        ...(options.ask === false ? { ask: false } : {}),
        // A phone over adb answers slower than a LAN host; a dropped cable is noticed by keepalives.
        connectTimeoutMs: 20_000,
        keepaliveMs: 5000,
        vouchForKey: vouchFromLegacyFile(ctx.dataDir, legacyName),
      },
    );
  } catch (error) {
    stream?.destroy();
    if (error instanceof FleetError && error.code === 'auth-failed') {
      throw new FleetError('auth-failed', `${error.message.replace(/\.$/, '')} on the phone.`, {
        hint: "Run the setup again (`fleet droid setup`) to put your public key into the phone's authorized_keys, or name the key with --identity.",
      });
    }
    throw error;
  }
  return {
    route,
    connection,
    run: async (argv, signal) => {
      try {
        const result = await connection.exec(argv, signal ? { signal } : {});
        return { code: result.code, stdout: result.stdout, stderr: result.stderr, lost: false };
      } catch (error) {
        if (error instanceof FleetError && error.code === 'connection-lost') return { code: null, stdout: '', stderr: '', lost: true };
        throw error;
      }
    },
    close: () => connection.close(),
  };
}
