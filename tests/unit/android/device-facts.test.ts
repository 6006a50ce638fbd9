import { describe, expect, it } from 'vitest';
import { deviceState, deviceTransport, factsFrom, parseBatteryLevel, parseGetprop, stateProblem } from '../../../src-main/core/android/device-facts';
import { generationOfLink, parseGenerations } from '../../../src-main/core/android/generations';

const getprop = `[ro.build.version.release]: [14]
[ro.build.version.sdk]: [34]
[ro.product.cpu.abi]: [arm64-v8a]
[ro.product.cpu.abilist]: [arm64-v8a,armeabi-v7a,armeabi]
[ro.product.manufacturer]: [Google]
[ro.product.model]: [Pixel 8]
[weird]: [value with ] bracket]
`;

describe('facts read from a phone', () => {
  it('parses getprop and dumpsys battery', () => {
    const props = parseGetprop(getprop);
    expect(props['ro.product.model']).toBe('Pixel 8');
    expect(props.weird).toBe('value with ] bracket');
    const facts = factsFrom(props, 'Current Battery Service state:\n  level: 45\n  scale: 50\n');
    expect(facts).toEqual({ model: 'Pixel 8', manufacturer: 'Google', androidVersion: '14', sdk: 34, abi: 'arm64-v8a', abis: ['arm64-v8a', 'armeabi-v7a', 'armeabi'], battery: 90 });
    expect(parseBatteryLevel('nothing')).toBeUndefined();
  });

  it('maps adb states and explains the ones that need the person', () => {
    expect(deviceState('emulator')).toBe('device');
    expect(deviceState('unauthorized')).toBe('unauthorized');
    expect(deviceState('recovery')).toBe('unknown');
    expect(stateProblem('unauthorized')).toMatch(/Allow USB debugging/);
    expect(stateProblem('offline')).toMatch(/unplug/);
    expect(stateProblem('device', { abi: 'x86_64', abis: ['x86_64'] })).toMatch(/x86_64.*arm64-v8a/);
    expect(stateProblem('device', { abi: 'arm64-v8a', abis: ['arm64-v8a'] })).toBeUndefined();
  });

  it('tells USB serials from adb-over-TCP ones', () => {
    expect(deviceTransport('1A2B3C4D')).toBe('usb');
    expect(deviceTransport('192.168.1.20:5555')).toBe('wireless');
    expect(deviceTransport('adb-1A2B-xyz._adb-tls-connect._tcp')).toBe('wireless');
  });
});

describe('Nix-on-Droid generations', () => {
  it('reads the profile link and the generations list', () => {
    expect(generationOfLink('nix-on-droid-12-link\n')).toBe(12);
    expect(generationOfLink('/nix/store/abc')).toBeUndefined();
    expect(parseGenerations('   1   2026-11-25 19:00:00   \n   2   2026-11-25 19:05:01   (current)\n')).toEqual([
      { number: 1, date: '2026-11-25 19:00:00', current: false },
      { number: 2, date: '2026-11-25 19:05:01', current: true },
    ]);
  });
});

describe('closure order for nix-store --import', () => {
  it('puts every path after its references', async () => {
    const { topologicalOrder } = await import('../../../src-main/core/android/laptop-build');
    const order = topologicalOrder({ '/nix/store/c': ['/nix/store/b', '/nix/store/c'], '/nix/store/b': ['/nix/store/a'], '/nix/store/a': [] });
    expect(order).toEqual(['/nix/store/a', '/nix/store/b', '/nix/store/c']);
  });
});
