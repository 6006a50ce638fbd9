import type { DeviceClient } from '@devicefarmer/adbkit';
import type { AndroidDevice, DeviceState, DeviceTransport } from './types';
import { deviceShellLine } from './device-shell';

/** Facts read from a usable phone. */
export type DeviceFacts = Pick<AndroidDevice, 'model' | 'manufacturer' | 'androidVersion' | 'sdk' | 'abi' | 'abis' | 'battery'>;

/** Parse `getprop` output ("[key]: [value]" lines) into a record. */
export function parseGetprop(text: string): Record<string, string> {
  const props: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\[([^\]]+)\]: \[(.*)\]$/.exec(line.trim());
    if (match) props[match[1] as string] = match[2] as string;
  }
  return props;
}

/** The battery level in percent from `dumpsys battery`. */
export function parseBatteryLevel(text: string): number | undefined {
  const level = /^\s*level: (\d+)/m.exec(text);
  const scale = /^\s*scale: (\d+)/m.exec(text);
  if (!level) return undefined;
  const value = Number(level[1]);
  const max = scale ? Number(scale[1]) : 100;
  return max > 0 ? Math.round((value * 100) / max) : undefined;
}

/** Device facts from its properties and battery report. */
export function factsFrom(props: Readonly<Record<string, string>>, batteryText: string): DeviceFacts {
  const abilist = (props['ro.product.cpu.abilist'] ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  const abi = props['ro.product.cpu.abi'] || abilist[0];
  const sdk = Number(props['ro.build.version.sdk']);
  const battery = parseBatteryLevel(batteryText);
  return {
    ...(props['ro.product.model'] ? { model: props['ro.product.model'] } : {}),
    ...(props['ro.product.manufacturer'] ? { manufacturer: props['ro.product.manufacturer'] } : {}),
    ...(props['ro.build.version.release'] ? { androidVersion: props['ro.build.version.release'] } : {}),
    ...(Number.isInteger(sdk) && sdk > 0 ? { sdk } : {}),
    ...(abi ? { abi } : {}),
    ...(abilist.length ? { abis: abilist } : abi ? { abis: [abi] } : {}),
    ...(battery !== undefined ? { battery } : {}),
  };
}

const separator = '__FLEET_FACTS__';

/** Read model, Android version, ABI and battery from the phone in one shell round trip. */
export async function readDeviceFacts(device: DeviceClient, signal?: AbortSignal): Promise<DeviceFacts> {
  const result = await deviceShellLine(device, `getprop; echo ${separator}; dumpsys battery`, {
    timeoutMs: 10_000,
    ...(signal ? { signal } : {}),
  });
  const [propsText = '', batteryText = ''] = result.output.split(separator);
  return factsFrom(parseGetprop(propsText), batteryText);
}

/** adb's device type as one of our states. */
export function deviceState(type: string): DeviceState {
  switch (type) {
    case 'device':
    case 'emulator':
      return 'device';
    case 'unauthorized':
    case 'offline':
      return type;
    default:
      return 'unknown';
  }
}

/** A serial like 192.168.1.20:5555 or adb-XYZ._adb-tls-connect._tcp is a wireless (TCP) device. */
export function deviceTransport(serial: string): DeviceTransport {
  return /^[^\s]+:\d+$/.test(serial) || serial.includes('._adb-tls-connect._tcp') ? 'wireless' : 'usb';
}

/** What the person has to do about a device in this state, if anything. */
export function stateProblem(state: DeviceState, facts?: DeviceFacts): string | undefined {
  switch (state) {
    case 'unauthorized':
      return 'Unlock the phone and accept the "Allow USB debugging?" prompt (tick "Always allow from this computer").';
    case 'offline':
      return 'The phone is connected but not answering: unplug and plug it in again, or toggle USB debugging.';
    case 'unknown':
      return 'adb reports an unknown state; reconnect the phone.';
    case 'device':
      if (facts?.abi && !(facts.abis ?? [facts.abi]).includes('arm64-v8a')) {
        return `This device is ${facts.abi}; Nix-on-Droid needs an arm64-v8a (aarch64) phone.`;
      }
      return undefined;
  }
}
