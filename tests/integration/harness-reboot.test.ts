import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FLAKE_DIR, startHosts, type Lab, type LabHost } from '../harness/hosts/index.js';
import { run, type RunResult } from '../harness/hosts/run.js';

// The test hosts reboot: the stand-in `systemctl reboot` (or the harness's reset button) stops
// the host, and it boots the boot loader's default generation; faults make it boot the
// previous one, come back late, never come back, or ignore the request. Real sshd, nix and the example homelab's systems.

const NIX = ['--extra-experimental-features', 'nix-command flakes'];
const SYSTEMCTL = '/run/current-system/sw/bin/systemctl';

function ssh(host: LabHost, command: readonly string[]): Promise<RunResult> {
  return run('ssh', [...host.sshArgs(), ...command], { timeoutMs: 30_000 });
}

async function buildMoonlight(flake: string): Promise<string> {
  const result = await run('nix', [...NIX, 'build', '--no-link', '--json', `path:${flake}#nixosConfigurations.moonlight.config.system.build.toplevel`], { timeoutMs: 180_000 });
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { outputs: { out: string } }[])[0]!.outputs.out;
}

async function install(lab: Lab, host: LabHost, system: string, action: 'switch' | 'boot'): Promise<void> {
  const copy = await run('nix-copy-closure', ['--to', host.name, system], { env: { ...process.env, NIX_SSHOPTS: `-F ${lab.sshConfigPath} -o BatchMode=yes` }, timeoutMs: 120_000 });
  expect(copy.code, copy.stderr).toBe(0);
  const result = await ssh(host, ['nix-env', '-p', '/nix/var/nix/profiles/system', '--set', system, '&&', `${system}/bin/switch-to-configuration`, action]);
  expect(result.code, result.stderr).toBe(0);
}

async function statusPage(host: LabHost): Promise<{ status: number; body: string }> {
  // Only ever the lab host's own namespace address.
  const response = await fetch(`http://${host.address}:8080/health`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text() };
}

describe('test hosts reboot', () => {
  let lab: Lab;
  let host: LabHost;
  let first: string;
  let bumped: string;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'fleet-reboot-flake-'));
    const firstFlake = path.join(work, 'first');
    const bumpedFlake = path.join(work, 'bumped');
    for (const dir of [firstFlake, bumpedFlake]) cpSync(FLAKE_DIR, dir, { recursive: true, filter: (src) => !/\/result(-\w+)?$/.test(src) });
    const hostFile = path.join(firstFlake, 'systems/moonlight/default.nix');
    [lab, first] = await Promise.all([startHosts({ names: ['moonlight'] }), buildMoonlight(firstFlake)]);
    const bumpedHost = path.join(bumpedFlake, 'systems/moonlight/default.nix');
    writeFileSync(bumpedHost, readFileSync(hostFile, 'utf8').replace('boot.kernel.version = "6.6.30";', 'boot.kernel.version = "6.6.32";'));
    bumped = await buildMoonlight(bumpedFlake);
    host = lab.host('moonlight');
  }, 300_000);

  afterAll(async () => {
    await lab?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the first install counts as its boot, and its units run', async () => {
    await install(lab, host, first, 'switch');
    expect(await host.bootedSystem()).toBe(first);
    expect((await ssh(host, [SYSTEMCTL, 'is-active', 'status-page.service'])).stdout.trim()).toBe('active');
    expect(await statusPage(host)).toEqual({ status: 200, body: 'ok\n' });
  });

  test('systemctl reboot boots the boot default: /run/booted-system is the new generation, units and sshd are back', async () => {
    await install(lab, host, bumped, 'boot');
    expect(await host.currentSystem()).toBe(first);
    expect(readlinkOf(await host.exec(['readlink', '-f', '/run/booted-system/kernel']))).not.toBe(readlinkOf(await host.exec(['readlink', '-f', `${bumped}/kernel`])));
    const before = (await host.powerEvents()).length;
    const reboot = await ssh(host, [SYSTEMCTL, 'reboot']);
    expect(reboot.code, reboot.stderr).toBe(0);
    await waitForEvent(host, before, 'down');
    // While it is down, connecting times out.
    expect((await run('ssh', [...host.sshArgs(), '-o', 'ConnectTimeout=1', 'true'], { timeoutMs: 10_000 })).code).not.toBe(0);
    await host.waitForPowerState('up');
    const events = (await host.powerEvents()).slice(before).map((e) => e.event.split(' ')[0]);
    expect(events).toEqual(['shutting-down', 'down', 'booting', 'up']);
    expect((await ssh(host, ['readlink', '-f', '/run/booted-system'])).stdout.trim()).toBe(bumped);
    expect(await host.currentSystem()).toBe(bumped);
    expect((await ssh(host, [SYSTEMCTL, 'is-active', 'status-page.service'])).stdout.trim()).toBe('active');
    expect(await statusPage(host)).toEqual({ status: 200, body: 'ok\n' });
    // /run was emptied: the lock directory of a deploy is gone with it.
    expect((await host.exec(['test', '-e', '/run/systemd/stand-in/power'])).code).not.toBe(0);
  });

  test('a boot that fails over boots the previous generation', async () => {
    await host.bootPreviousGenerationNextTime();
    await host.reboot();
    await host.waitForPowerState('rebooting');
    await host.waitForPowerState('up');
    expect(await host.bootedSystem()).toBe(first);
    expect(await host.currentSystem()).toBe(first);
    // The boot default is unchanged: the next normal reboot starts the new generation again.
    await host.reboot();
    await host.waitForPowerState('rebooting');
    await host.waitForPowerState('up');
    expect(await host.bootedSystem()).toBe(bumped);
  });

  test('a host that never comes back stays dark until powered on', async () => {
    await host.neverComeBack();
    await host.reboot();
    await host.waitForPowerState('off');
    const attempt = await run('ssh', [...host.sshArgs(), '-o', 'ConnectTimeout=2', 'true'], { timeoutMs: 10_000 });
    expect(attempt.code).not.toBe(0);
    // A host that is off: the connect times out, or ARP gives up first ("No route to host").
    expect(attempt.stderr).toMatch(/timed out|No route to host/);
    await host.powerOn();
    await host.waitForPowerState('up');
    expect((await ssh(host, ['readlink', '-f', '/run/booted-system'])).stdout.trim()).toBe(bumped);
  });

  test('a host that comes back late stays dark that long after it went down, then boots its boot default', async () => {
    const before = (await host.powerEvents()).length;
    await host.comeBackLate(3);
    await host.reboot();
    await host.waitForPowerState('rebooting');
    await host.waitForPowerState('up');
    const events = (await host.powerEvents()).slice(before);
    expect(events.map((e) => e.event.split(' ')[0])).toEqual(['shutting-down', 'down', 'dark', 'booting', 'up']);
    expect(events[2]!.event).toBe('dark 3 s');
    // Dark at least that long: the sleep is the fault, not a measured speed.
    expect(events[3]!.at - events[1]!.at).toBeGreaterThanOrEqual(3000);
    expect(await host.bootedSystem()).toBe(bumped);
    // The fault is used up: the next reboot is a normal one.
    expect(existsSync(path.join(host.dir, 'power-fault'))).toBe(false);
  });

  test('an ignored reboot request leaves the host up on the boot it had, /run untouched', async () => {
    const before = (await host.powerEvents()).length;
    const booted = await host.bootedSystem();
    await host.exec(['touch', '/run/still-here']);
    await host.ignoreNextReboot();
    const reboot = await ssh(host, [SYSTEMCTL, 'reboot']);
    expect(reboot.code, reboot.stderr).toBe(0);
    await waitForEvent(host, before, 'reboot ignored');
    expect(await host.powerState()).toBe('up');
    expect((await host.powerEvents()).slice(before).map((e) => e.event)).toEqual(['reboot ignored']);
    expect(await host.bootedSystem()).toBe(booted);
    expect((await host.exec(['test', '-e', '/run/still-here'])).code).toBe(0);
    expect(existsSync(path.join(host.dir, 'power-fault'))).toBe(false);
  });

  test('a non-root user cannot reboot the host', async () => {
    const result = await run('ssh', [...host.sshArgs(lab.deployUser), SYSTEMCTL, 'reboot'], { timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Access denied');
    expect(await host.powerState()).toBe('up');
  });
});

function readlinkOf(result: RunResult): string {
  return result.stdout.trim();
}

async function waitForEvent(host: LabHost, after: number, event: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await host.powerEvents()).slice(after).some((e) => e.event === event)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${host.name}: no "${event}" power event`);
}
