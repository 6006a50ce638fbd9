import type { Client, DeviceClient } from '@devicefarmer/adbkit';
import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import { adbServerAddress, openAdbClient, type AdbServerAddress } from './adb-server';
import { DeviceTracker, listAndroidDevices } from './devices';
import { deviceState } from './device-facts';
import type { AndroidDevice } from './types';

/** The core's one adb connection: the client, and (in the app and `fleet serve`) the device tracker. */
export interface AdbService {
  readonly address: AdbServerAddress;
  client(): Promise<Client>;
  /** The described device list; in the app it is the tracked one (emits devices.changed). */
  devices(): Promise<readonly AndroidDevice[]>;
  /** A usable phone by serial, or an error saying what to do about it. */
  usableDevice(serial: string): Promise<DeviceClient>;
  /** Re-apply droid links to the tracked list. */
  relinked(): void;
}

/** The android domain's per-core adb state, created on first use, closed with the core. */
export function adbService(ctx: CoreContext): AdbService {
  return ctx.service(
    'android.adb',
    () => {
      const address = adbServerAddress(ctx.env);
      let clientPromise: Promise<Client> | undefined;
      let tracker: DeviceTracker | undefined;
      const links = () => ctx.settings.get().droidLinks;
      const client = () => {
        clientPromise ??= openAdbClient(address).catch((error: unknown) => {
          clientPromise = undefined;
          throw error;
        });
        return clientPromise;
      };
      const service: AdbService & { close(): void } = {
        address,
        client,
        async devices() {
          const adb = await client();
          // The CLI asks once; the app follows the server's pushed list.
          if (ctx.host === 'cli') return listAndroidDevices(adb, links());
          tracker ??= new DeviceTracker(adb, links, (devices) => ctx.events.emit({ type: 'devices.changed', devices }));
          const fresh = !tracker.started;
          await tracker.start();
          if (!fresh) await tracker.sync();
          return tracker.list();
        },
        async usableDevice(serial) {
          const adb = await client();
          const entries = (await adb.listDevices()) as { id: string; type: string }[];
          const entry = entries.find((e) => e.id === serial);
          if (!entry) {
            throw new FleetError('device-not-found', `No phone with serial ${serial} is connected.`, {
              hint: 'Plug it in with USB debugging on (or `fleet droid connect HOST:PORT` for wireless), then check `fleet droid devices`.',
            });
          }
          const state = deviceState(entry.type);
          if (state === 'unauthorized') {
            throw new FleetError('device-unauthorized', `The phone ${serial} has not allowed USB debugging from this computer.`, {
              hint: 'Unlock the phone and accept the "Allow USB debugging?" prompt.',
            });
          }
          if (state !== 'device') {
            throw new FleetError('device-offline', `The phone ${serial} is ${entry.type}.`, { hint: 'Reconnect it (unplug and plug in again).' });
          }
          return adb.getDevice(serial);
        },
        relinked() {
          tracker?.relink();
        },
        close() {
          tracker?.close();
        },
      };
      return service;
    },
    (service) => (service as AdbService & { close(): void }).close(),
  );
}
