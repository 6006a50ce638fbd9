// Device tracking through the real adb server with EMULATED phones: a phone that is plugged in
// (adb connect) shows up in a devices.changed event within 2 s with its facts; unplugged, it
// leaves the list again. No polling: the adb server pushes the list (host:track-devices).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPhone, type Phone } from '../harness/phone/index';
import type { AndroidDevice, DeviceList } from '../../src-main/core/android/types';
import { androidWorld, type AndroidWorld } from './android-world';

let world: AndroidWorld;
let phone: Phone | undefined;

beforeAll(async () => {
  world = await androidWorld();
});

afterAll(async () => {
  await phone?.stop();
  await world?.close();
});

/** Resolve with the time (ms since `since`) the first devices.changed event matching `check` arrives. */
function waitForDevices(check: (devices: readonly AndroidDevice[]) => boolean, since: number, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no matching devices.changed event'));
    }, timeoutMs);
    const off = world.core.subscribe((event) => {
      if (event.type === 'devices.changed' && check(event.devices)) {
        clearTimeout(timer);
        off();
        resolve(Date.now() - since);
      }
    });
  });
}

describe('device tracking with an emulated phone', () => {
  it('shows a plugged-in phone within 2 s and drops it when unplugged', async () => {
    const first = (await world.core.invoke('devices.list', {})) as DeviceList;
    expect(first.adbPort).toBe(world.adbPort);
    phone = await startPhone({ scenario: 'ready', connect: false });
    const serial = phone.serial;
    const started = Date.now();
    const appeared = waitForDevices((devices) => devices.some((d) => d.serial === serial && d.state === 'device' && d.abi === 'arm64-v8a'), started);
    await phone.reconnect();
    expect(await appeared).toBeLessThan(2_000);
    const listed = (await world.core.invoke('devices.list', {})) as DeviceList;
    expect(listed.devices.find((d) => d.serial === serial)).toMatchObject({ model: 'Pixel 6', androidVersion: '13', battery: 87 });

    const unplugged = Date.now();
    const gone = waitForDevices((devices) => !devices.some((d) => d.serial === serial), unplugged);
    await phone.disconnect('unplug');
    expect(await gone).toBeLessThan(2_000);
  });

  it("explains a full phone disk when deploying (the emulated phone's /data is filled up)", async () => {
    await phone?.stop();
    phone = await startPhone({ scenario: 'ready', authorizedKey: world.publicKey, dataSizeMb: 96 });
    await phone.runInApp(['sh', '-c', 'cat /dev/zero > "$HOME/fill" 2>/dev/null; true']);
    const info = await world.job('droid.deploy', { droid: 'soriphoono', serial: phone.serial, identityFile: world.key });
    expect(info.status).toBe('failed');
    expect(info.error?.code).toBe('disk-full');
    expect(info.error?.hint).toMatch(/Free space/);
  });

  it('connects a wireless phone by address (adb connect) and explains pairing on an adb too old for it', async () => {
    await phone?.stop();
    phone = await startPhone({ scenario: 'ready', connect: false });
    const device = (await world.core.invoke('devices.connect', { address: phone.serial })) as AndroidDevice;
    expect(device).toMatchObject({ serial: phone.serial, state: 'device', transport: 'wireless', abi: 'arm64-v8a' });
    await expect(world.core.invoke('devices.connect', { address: 'not-an-address' })).rejects.toThrow(/host:port/);
    // Debian's adb 29 has no `adb pair` (platform-tools 30+): the error says so instead of failing obscurely.
    const version = await world.core.invoke('devices.pair', { address: '127.0.0.1:1', code: '123456' }).catch((error: Error) => error.message);
    expect(version).toMatch(/too old to pair|Pairing with 127\.0\.0\.1:1 failed/);
  });
});
