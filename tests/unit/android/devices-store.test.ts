import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../../src-main/core/core';
import { setClientForTests } from '../../../src-renderer/client';
import { devicesFor, useDevicesStore } from '../../../src-renderer/stores/devices';
import type { AndroidDevice } from '../../../src-main/core/android/types';

// The devices store on a real core (in this process, as the desktop bridge would carry it),
// with no adb program and nothing on the adb port: the store shows the error and its hint.
let core: FleetCore;
let dir: string;

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-devices-store-'));
  core = createCore({ host: 'server', dataDir: dir, env: { PATH: '/nonexistent', HOME: dir, ANDROID_ADB_SERVER_PORT: String(await closedPort()) } });
  setClientForTests({ kind: 'desktop', invoke: (name, input) => core.invokeWire(name, input), subscribe: (listener) => core.subscribe(listener) });
});

afterAll(async () => {
  await core.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const phone = (serial: string, droid?: string): AndroidDevice => ({ serial, state: 'device', transport: 'usb', abi: 'arm64-v8a', ...(droid ? { droid } : {}) });

describe('devices store', () => {
  it('shows why there are no phones when adb is missing', async () => {
    await useDevicesStore.getState().load();
    const state = useDevicesStore.getState();
    expect(state.status).toBe('error');
    expect(state.error).toMatch(/adb program .* not installed/);
    expect(state.errorHint).toMatch(/apt install adb/);
  });

  it('takes the whole list from devices.changed and splits it by droid', () => {
    useDevicesStore.getState().apply({ type: 'devices.changed', devices: [phone('A', 'pixel'), phone('B'), phone('C', 'tablet')] });
    const state = useDevicesStore.getState();
    expect(state.status).toBe('loaded');
    expect(state.error).toBeNull();
    const { linked, others } = devicesFor(state.devices, 'pixel');
    expect(linked.map((d) => d.serial)).toEqual(['A']);
    expect(others.map((d) => d.serial)).toEqual(['B', 'C']);
  });

  it('passes invalid input errors from the core through', async () => {
    await expect(useDevicesStore.getState().connect('not an address')).rejects.toThrow(/host:port/);
  });
});
