// The phone setup wizard against EMULATED phones (tests/harness/phone) through the real adb
// server: each scenario (not installed, installed but not bootstrapped, bootstrapped without
// sshd, ready) walks to a working SSH connection over adb; an x86_64 emulator is refused;
// an unauthorized phone is explained; a network phone (ssh, no adb) deploys the same way.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emulatedApk, startPhone, type Phone, type PhoneScenario } from '../harness/phone/index';
import type { DeviceList, DroidDeployResult, SetupReport } from '../../src-main/core/android/types';
import { androidWorld, type AndroidWorld } from './android-world';
import { freeLoopbackPort } from '../harness/free-port';

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 50; i += 1) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}
let world: AndroidWorld;
let phone: Phone | undefined;
let apk = '';

beforeAll(async () => {
  world = await androidWorld();
  apk = join(world.dir, 'nix-on-droid.apk');
  writeFileSync(apk, emulatedApk());
});

afterEach(async () => {
  await phone?.stop();
  phone = undefined;
});

afterAll(async () => {
  await world?.close();
});

const scenarios: readonly { scenario: PhoneScenario; fixed: readonly string[] }[] = [
  { scenario: 'none', fixed: ['installed', 'bootstrapped', 'ssh'] },
  { scenario: 'installed', fixed: ['bootstrapped', 'ssh'] },
  { scenario: 'bootstrapped', fixed: ['ssh'] },
  { scenario: 'ready', fixed: [] },
];

describe('phone setup wizard on emulated phones', () => {
  for (const { scenario, fixed } of scenarios) {
    it(`walks an emulated phone in scenario "${scenario}" to a working connection and links it`, async () => {
      phone = await startPhone({ scenario, ...(scenario === 'ready' ? { authorizedKey: world.publicKey } : {}) });
      const info = await world.job('droid.setup', { serial: phone.serial, droid: 'soriphoono', identityFile: world.key, apkPath: apk, typeWithoutAsking: true });
      expect(info.error).toBeUndefined();
      const report = info.result as SetupReport;
      expect(report.ready).toBe(true);
      const byId = Object.fromEntries(report.steps.map((s) => [s.id, s.status]));
      for (const id of ['installed', 'bootstrapped', 'ssh']) expect(byId[id]).toBe(fixed.includes(id) ? 'fixed' : 'done');
      expect(byId.connection).toBe('done');
      const list = (await world.core.invoke('devices.list', {})) as DeviceList;
      expect(list.devices.find((d) => d.serial === phone?.serial)?.droid).toBe('soriphoono');
      // Resumable: a second run finds everything in place and changes nothing.
      const again = await world.job('droid.setup', { serial: phone.serial, droid: 'soriphoono', identityFile: world.key });
      expect((again.result as SetupReport).steps.every((s) => s.status === 'done')).toBe(true);
    });
  }

  it('asks before typing on the phone and stops when the person declines', async () => {
    phone = await startPhone({ scenario: 'bootstrapped' });
    world.answers.confirm = false;
    try {
      const info = await world.job('droid.setup', { serial: phone.serial, droid: 'soriphoono', identityFile: world.key });
      expect(world.asked.some((q) => q.kind === 'confirm' && /Type one command/.test(q.message))).toBe(true);
      expect(info.status).toBe('failed');
      expect(info.error?.message).toBe('Typing the SSH access command was declined.');
      expect(phone.screenText()).not.toContain('base64');
    } finally {
      world.answers.confirm = true;
    }
  });

  it('refuses an x86_64 emulator with the reason', async () => {
    phone = await startPhone({ scenario: 'ready', abi: 'x86_64', authorizedKey: world.publicKey });
    const list = (await world.core.invoke('devices.list', {})) as DeviceList;
    expect(list.devices.find((d) => d.serial === phone?.serial)?.problem).toMatch(/arm64-v8a/);
    const info = await world.job('droid.setup', { serial: phone.serial, droid: 'soriphoono', identityFile: world.key, typeWithoutAsking: true });
    expect(info.status).toBe('failed');
    expect(info.error?.message).toMatch(/x86_64.*arm64-v8a/);
  });

  it('explains an unauthorized phone (the USB debugging prompt not accepted)', async () => {
    phone = await startPhone({ scenario: 'ready', auth: 'deny' });
    // adb retries a TCP device that refuses its key, so its state alternates with offline for a moment.
    let device: DeviceList['devices'][number] | undefined;
    for (let i = 0; i < 40 && device?.state !== 'unauthorized'; i += 1) {
      const list = (await world.core.invoke('devices.list', {})) as DeviceList;
      device = list.devices.find((d) => d.serial === phone?.serial);
      if (device?.state !== 'unauthorized') await new Promise((r) => setTimeout(r, 250));
    }
    expect(device?.state).toBe('unauthorized');
    expect(device?.problem).toMatch(/Allow USB debugging/);
    await expect(world.core.invoke('droid.setup', { serial: phone.serial, droid: 'soriphoono' })).rejects.toThrow(/not allowed USB debugging/);
  });

  it('deploys a phone reachable by network ssh without adb (emulated: a TCP relay into the phone\'s network namespace)', async () => {
    phone = await startPhone({ scenario: 'ready', authorizedKey: world.publicKey });
    const port = await freeLoopbackPort();
    // Stands in for tailscale: a listener on this machine's loopback that reaches the phone's sshd directly.
    const relay = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `EXEC:ip netns exec fleet-phone-${phone.port} socat STDIO TCP\\:127.0.0.1\\:8022`], { stdio: 'ignore' });
    try {
      await waitForPort(port);
      const info = await world.job('droid.deploy', { droid: 'soriphoono', host: '127.0.0.1', port, identityFile: world.key });
      expect(info.error).toBeUndefined();
      expect(info.result as DroidDeployResult).toMatchObject({ route: { kind: 'network', host: '127.0.0.1', port }, after: 1 });
      const generations = (await world.core.invoke('droid.generations', { droid: 'soriphoono', host: '127.0.0.1', port, identityFile: world.key })) as { number: number }[];
      expect(generations.map((g) => g.number)).toEqual([1]);
    } finally {
      relay.kill();
    }
  });
});
