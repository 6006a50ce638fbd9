import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import type { HandlersFor } from '../handlers';
import { adbService } from './adb-service';
import { runAdb } from './adb-server';
import type { androidCommands, PhoneRouteInput } from './contract';
import { phoneGenerations } from './phone-generations';
import { openPhoneSession, resolveRoute } from './phone-session';
import { setupPhone } from './setup';
import { droidConfigFile } from './sshd-module';

/** The droid must exist in the open checkout (droids/<name>), so a typo fails at once. */
function requireDroid(ctx: CoreContext, droid: string): void {
  if (!droidConfigFile(ctx.root(), droid)) {
    throw new FleetError('not-found', `There is no droid ${droid} in ${ctx.root()} (droids/${droid}/default.nix).`, {
      hint: 'See the Droids screen or `fleet inventory` for the droid names.',
    });
  }
}

function login(input: PhoneRouteInput): { user?: string; identityFile?: string } {
  return { ...(input.user ? { user: input.user } : {}), ...(input.identityFile ? { identityFile: input.identityFile } : {}) };
}

/** Handlers of the android domain's commands. */
export function androidHandlers(ctx: CoreContext): HandlersFor<typeof androidCommands> {
  const adb = () => adbService(ctx);
  return {
    'devices.list': async () => ({ adbPort: adb().address.port, devices: await adb().devices() }),

    'devices.connect': async ({ address }) => {
      const [host, port] = address.split(':') as [string, string];
      const client = await adb().client();
      let serial: string;
      try {
        serial = await client.connect(host, Number(port));
      } catch (error) {
        // adb says "failed to authenticate" while the phone shows "Allow USB debugging?": the
        // link is up and the phone waits for the person; report it as it is, not as a failure.
        if (error instanceof Error && /failed to authenticate/i.test(error.message)) {
          const deadline = Date.now() + 5000;
          for (;;) {
            const found = (await adb().devices()).find((d) => d.serial === address);
            if (found && (found.state === 'device' || Date.now() > deadline)) return found;
            if (!found && Date.now() > deadline) break;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
        throw new FleetError('connect-failed', `adb could not connect to ${address}: ${error instanceof Error ? error.message : String(error)}`, {
          hint: 'On the phone: Developer options > Wireless debugging must be on and the address must match; for Android 11+ pair first.',
        });
      }
      const devices = await adb().devices();
      const device = devices.find((d) => d.serial === serial) ?? devices.find((d) => d.serial === address);
      if (!device) throw new FleetError('connect-failed', `adb connected to ${address} but the phone is not in its device list yet.`);
      return device;
    },

    'devices.pair': async ({ address, code }) => {
      // adb reads the pairing code from stdin when it is not an argument: it stays out of `ps`.
      const result = await runAdb(adb().address, ['pair', address], { input: `${code}\n`, timeoutMs: 30_000 });
      const text = `${result.stdout}${result.stderr}`.trim();
      if (result.code !== 0 || !/Successfully paired/i.test(text)) {
        const old = /unknown command|usage:/i.test(text);
        throw new FleetError('pair-failed', old ? 'This adb is too old to pair (adb pair needs platform-tools 30 or newer).' : `Pairing with ${address} failed: ${text}`, {
          hint: old ? 'Update the Android platform tools, or enable `adb tcpip 5555` over USB and connect without pairing.' : 'Use the address and 6-digit code from "Pair device with pairing code" on the phone; they change each time.',
        });
      }
      return { message: text };
    },

    'droid.link': async ({ serial, droid }) => {
      if (droid !== null) requireDroid(ctx, droid);
      ctx.settings.update((s) => {
        const links = { ...s.droidLinks };
        if (droid === null) delete links[serial];
        else links[serial] = droid;
        return { ...s, droidLinks: links };
      });
      adb().relinked();
      return { serial, droid };
    },

    'droid.setup': async (input) => {
      requireDroid(ctx, input.droid);
      await adb().usableDevice(input.serial);
      return {
        spec: { kind: 'droid-setup', title: `Set up ${input.serial} for droid ${input.droid}`, targets: [input.serial] },
        run: (job) => setupPhone(ctx, adb(), input, job),
      };
    },

    'droid.generations': async (input) => {
      requireDroid(ctx, input.droid);
      const route = await resolveRoute(ctx, adb(), input.droid, input);
      const session = await openPhoneSession(ctx, adb(), route, login(input));
      try {
        return await phoneGenerations(session);
      } finally {
        session.close();
      }
    },
  };
}
