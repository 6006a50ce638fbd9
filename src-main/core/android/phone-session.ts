import * as path from 'node:path';
import type { Client as SshClient } from 'ssh2';
import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import type { AdbService } from './adb-service';
import type { PhoneRouteInput } from './contract';
import { connectPhoneSsh, execOnPhone, type PhoneLogin } from './phone-ssh';
import { shCommand } from './shell-quote';
import type { PhoneRoute } from './types';

/** Nix-on-Droid's sshd port, as Termux uses. */
export const phoneSshPort = 8022;
/** The login user of Nix-on-Droid's sshd when none is named. */
export const defaultPhoneUser = 'nix-on-droid';

/** An SSH session to a phone, over the adb stream or the network. */
export interface PhoneSession {
  readonly route: PhoneRoute;
  readonly ssh: SshClient;
  /** Run argv on the phone (quoted), collecting its output. */
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

/** Open SSH to the phone on `route`, asking about a new host key through the prompts. */
export async function openPhoneSession(
  ctx: CoreContext,
  adb: AdbService,
  route: PhoneRoute,
  login: { user?: string; identityFile?: string },
  options: { signal?: AbortSignal; jobId?: string } = {},
): Promise<PhoneSession> {
  const phoneLogin: PhoneLogin = {
    user: login.user ?? defaultPhoneUser,
    env: ctx.env,
    ...(login.identityFile ? { identityFile: login.identityFile } : {}),
  };
  const name = route.kind === 'adb' ? `adb:${route.serial}` : `${route.host}:${route.port}`;
  const policy = {
    name,
    knownHostsFile: path.join(ctx.dataDir, 'android', 'known_hosts.json'),
    askNew: async (fingerprint: string) => {
      const answer = await ctx.prompts.ask(
        {
          kind: 'host-key',
          title: 'New phone host key',
          message: `The phone ${name} shows SSH host key ${fingerprint}, never seen before. Trust it?`,
          fingerprint,
          ...(options.jobId ? { jobId: options.jobId } : {}),
        },
        options.signal ? { signal: options.signal } : {},
      );
      return answer.accept;
    },
  };
  let ssh: SshClient;
  if (route.kind === 'adb') {
    const device = await adb.usableDevice(route.serial);
    let sock;
    try {
      sock = await device.openTcp(phoneSshPort);
    } catch (error) {
      throw new FleetError('no-sshd', `Nothing listens on port ${phoneSshPort} in the phone ${route.serial} (${error instanceof Error ? error.message : String(error)}).`, {
        hint: 'Start sshd in Nix-on-Droid: `fleet droid setup` does it, or type `sshd` in the Nix-on-Droid app.',
      });
    }
    ssh = await connectPhoneSsh({ sock }, phoneLogin, policy, options.signal);
  } else {
    ssh = await connectPhoneSsh({ host: route.host, port: route.port }, phoneLogin, policy, options.signal);
  }
  return {
    route,
    ssh,
    run: (argv, signal) => execOnPhone(ssh, shCommand(argv), signal ? { signal } : {}),
    close: () => ssh.end(),
  };
}
