import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { JobInfo } from '../../src-main/core/api';
import { screenshotBothThemes } from './browser';
import { openCheckoutUi, type CheckoutUi } from './lab-ui';
import { copyHomelab } from '../integration/build-homelab';
import { startInstaller, type Installer } from '../harness/hosts/installer';

describe('Install wizard in Chromium: docker-node onto the lab installer (real sshd, nix, loop disk)', () => {
  let installer: Installer;
  let ui: CheckoutUi | undefined;
  let page: Page;
  let errors: string[];
  let homelab: string;

  beforeAll(async () => {
    // Two blank disks: /dev/vda (the one docker-node's disko.nix names) and /dev/vdb (chosen in the wizard).
    installer = await startInstaller({ diskSize: '1g', disks: 2 });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-install-home-'));
    fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    fs.writeFileSync(path.join(home, '.ssh/config'), `Include ${installer.lab.sshConfigPath}\n`);
    homelab = copyHomelab();
    ui = await openCheckoutUi({ flake: homelab, env: { HOME: home }, viewport: { width: 1280, height: 860 } });
    ({ page, errors } = ui);
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
    await installer?.stop();
  });

  /** Open the wizard on docker-node and go through address and hardware. */
  async function openToHardware(shots?: string): Promise<void> {
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="inventory-row"][data-name="docker-node"]').click();
    await page.getByTestId('install-open').click();
    await page.getByTestId('install-to').fill(installer.host.name);
    if (shots) await screenshotBothThemes(page, `${shots}-1-address`);
    await page.getByTestId('install-next').click();
    await expect.poll(() => page.getByTestId('install-wizard').getAttribute('data-step'), { timeout: 30_000 }).toBe('hardware');
  }

  /** The first MiB of a lab disk's image: all zero while nothing was written to it. */
  function diskUntouched(file: string): boolean {
    const head = Buffer.alloc(1024 * 1024);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    return head.every((b) => b === 0);
  }

  /** docker-node with a package whose build sleeps for minutes: an install stays in its build stage. Returns the restore. */
  function slowBuild(): () => void {
    const defaultNix = path.join(homelab, 'systems/docker-node/default.nix');
    const before = fs.readFileSync(defaultNix, 'utf8');
    const marker = `${700 + Math.floor(Math.random() * 600)}.${Date.now() % 100000}`;
    fs.writeFileSync(
      defaultNix,
      before
        .replace('{ ... }:', '{ lib, pkgs, ... }:')
        .replace('homelab.shell = "bash";', `homelab.shell = "bash";\n  environment.systemPackages = [ (lib.build.runCommand { name = "slow-tool-1.0"; inherit (pkgs) system; script = ''\n    phase buildPhase\n    sleep ${marker}\n  ''; }) ];`),
    );
    return () => fs.writeFileSync(defaultNix, before);
  }

  /**
   * A command sent from the page over its own connection to `fleet serve` (the session
   * cookie the page holds), as another window of the app would send it.
   */
  function invokeFromPage<T>(name: string, input: unknown): Promise<T> {
    return page.evaluate(
      ({ name: command, input: args }) =>
        new Promise<T>((resolve, reject) => {
          const socket = new WebSocket(`ws://${location.host}/ws`);
          socket.onopen = () => socket.send(JSON.stringify({ id: 1, name: command, input: args }));
          socket.onerror = () => reject(new Error('the WebSocket to fleet serve failed'));
          socket.onmessage = (message) => {
            const data = JSON.parse(String(message.data)) as { id?: number; reply?: { ok: boolean; result?: T; error?: { message: string } } };
            if (data.id !== 1 || !data.reply) return;
            socket.close();
            if (data.reply.ok) resolve(data.reply.result as T);
            else reject(new Error(data.reply.error?.message ?? 'failed'));
          };
        }),
      { name, input },
    );
  }

  it("the prompt sheet's typed confirmation: an install started without --yes asks to type the disk; anything else keeps Yes disabled, Cancel leaves the disk untouched, the disk's name confirms", async () => {
    const disk = installer.disks[0]!;
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    const sheet = page.getByTestId('prompt-sheet');
    const accept = page.getByTestId('prompt-accept');
    const typed = page.getByTestId('prompt-confirm-text');

    // 1. Not confirmed: the typed field keeps Yes disabled until it names the disk; Cancel declines.
    const first = await invokeFromPage<{ jobId: string }>('install.start', { system: 'docker-node', to: installer.host.name, acceptNewHostKey: true });
    await sheet.waitFor({ timeout: 60_000 });
    expect(await page.locator('#prompt-title').textContent()).toContain(`Erase ${disk.device} on ${installer.host.name}?`);
    expect(await sheet.textContent()).toContain(`Type ${disk.device} to confirm`);
    expect(await typed.getAttribute('placeholder')).toBe(disk.device);
    expect(await accept.isDisabled()).toBe(true);
    for (const wrong of ['y', 'yes', disk.device.slice(0, -1), '/dev/vdb']) {
      await typed.fill(wrong);
      expect(await accept.isDisabled()).toBe(true);
    }
    await typed.fill('');
    await screenshotBothThemes(page, 'install-prompt-typed-confirmation-empty');
    await typed.fill(disk.device.slice(0, -1));
    await screenshotBothThemes(page, 'install-prompt-typed-confirmation-partial');
    await page.getByTestId('prompt-decline').click();
    await sheet.waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(async () => (await invokeFromPage<JobInfo>('jobs.get', { jobId: first.jobId })).status, { timeout: 60_000 }).toBe('failed');
    expect((await invokeFromPage<JobInfo>('jobs.get', { jobId: first.jobId })).error?.message).toContain(`Not confirmed: ${disk.device} was not touched.`);
    expect(diskUntouched(disk.file)).toBe(true);

    // 2. Typing the disk's name enables Yes, and the core takes it as the confirmation: the
    // install goes on to its build (held there by a slow package), where it is cancelled.
    const restore = slowBuild();
    try {
      const second = await invokeFromPage<{ jobId: string }>('install.start', { system: 'docker-node', to: installer.host.name, acceptNewHostKey: true });
      await sheet.waitFor({ timeout: 60_000 });
      await typed.fill(disk.device);
      expect(await accept.isDisabled()).toBe(false);
      await screenshotBothThemes(page, 'install-prompt-typed-confirmation-named');
      await accept.click();
      await sheet.waitFor({ state: 'detached', timeout: 30_000 });
      await expect.poll(async () => (await invokeFromPage<JobInfo>('jobs.get', { jobId: second.jobId })).progress?.label, { timeout: 120_000 }).toBe('Build the system and its disko script');
      await invokeFromPage('jobs.cancel', { jobId: second.jobId });
      await expect.poll(async () => (await invokeFromPage<JobInfo>('jobs.get', { jobId: second.jobId })).status, { timeout: 60_000 }).toBe('cancelled');
    } finally {
      restore();
    }
    expect(diskUntouched(disk.file)).toBe(true);
    expect(fs.existsSync(path.join(homelab, 'systems/docker-node/ssh_host_ed25519_key.pub'))).toBe(false);
  });

  /** From the hardware step: choose the first blank disk, type its name, go to the summary and start. */
  async function confirmDiskAndStart(): Promise<void> {
    await page.getByTestId('install-next').click();
    await page.getByTestId('install-confirm-disk').fill(installer.disks[0]!.device);
    await page.getByTestId('install-next').click();
    await page.getByTestId('install-summary').waitFor();
    await page.getByTestId('install-start').click();
    await page.getByTestId('install-progress').waitFor({ timeout: 30_000 });
  }

  it('cancels in the middle of the build: the wizard says the disk is untouched, and it is', async () => {
    // A package that builds for minutes keeps the install in its build stage.
    const restore = slowBuild();
    try {
      await openToHardware();
      await confirmDiskAndStart();
      await expect.poll(() => page.locator('.install-log').textContent(), { timeout: 120_000 }).toContain('slow-tool-1.0');
      expect(await page.getByTestId('install-state').textContent()).toContain("Nothing on the machine's disk has changed");
      await screenshotBothThemes(page, 'install-5a-building-cancellable');
      await page.getByTestId('install-cancel').click();
      await expect.poll(() => page.getByTestId('install-progress').getAttribute('data-status'), { timeout: 60_000 }).toBe('cancelled');
      expect(await page.getByTestId('install-failed').textContent()).toContain(`${installer.disks[0]!.device} was not touched.`);
      await screenshotBothThemes(page, 'install-5b-cancelled');
      await page.getByTestId('install-close').click();
    } finally {
      restore();
    }
    expect(diskUntouched(installer.disks[0]!.file)).toBe(true);
    expect(fs.existsSync(path.join(homelab, 'systems/docker-node/ssh_host_ed25519_key.pub'))).toBe(false);
  });

  it('walks address, hardware (writing hardware-configuration.nix and facter.json after their diffs), disk (disko.nix diff, typed confirmation), summary and progress, and installs', async () => {
    await openToHardware('install');
    const wizard = page.getByTestId('install-wizard');
    expect(await page.getByTestId('install-hardware').textContent()).toContain(installer.disks[0]!.device);
    await screenshotBothThemes(page, 'install-2-hardware');

    // hardware-configuration.nix: its diff first, then written and staged.
    await page.getByTestId('install-write-hardware').click();
    const proposal = page.getByTestId('install-proposal');
    await proposal.waitFor({ timeout: 30_000 });
    expect(await proposal.getAttribute('data-file')).toBe('systems/docker-node/hardware-configuration.nix');
    expect(await proposal.textContent()).toContain('boot.initrd.availableKernelModules');
    expect(fs.existsSync(path.join(homelab, 'systems/docker-node/hardware-configuration.nix'))).toBe(false);
    await screenshotBothThemes(page, 'install-2a-hardware-configuration-diff');
    await page.getByTestId('install-proposal-write').click();
    await expect.poll(() => page.getByTestId('install-wrote').first().textContent(), { timeout: 30_000 }).toContain('Wrote systems/docker-node/hardware-configuration.nix');
    expect(fs.readFileSync(path.join(homelab, 'systems/docker-node/hardware-configuration.nix'), 'utf8')).toContain('boot.initrd.availableKernelModules');

    await page.getByTestId('install-write-facter').click();
    await proposal.waitFor({ timeout: 30_000 });
    expect(await proposal.getAttribute('data-file')).toBe('systems/docker-node/facter.json');
    await screenshotBothThemes(page, 'install-2b-facter-diff');
    await page.getByTestId('install-proposal-write').click();
    await expect.poll(() => page.getByTestId('install-wrote').nth(1).textContent(), { timeout: 30_000 }).toContain('hardware.facter.reportPath = ./facter.json;');
    expect(JSON.parse(fs.readFileSync(path.join(homelab, 'systems/docker-node/facter.json'), 'utf8'))).toMatchObject({ version: 1, system: 'x86_64-linux' });
    await screenshotBothThemes(page, 'install-2c-hardware-written');

    await page.getByTestId('install-next').click();
    expect(await page.getByTestId('install-next').isDisabled()).toBe(true);
    // The second disk (disko.nix names the first, /dev/vda): chosen, then disko.nix pointed at it, shown as a diff first.
    const disk = installer.disks[1]!;
    await page.getByTestId('install-disks').locator('label', { hasText: disk.device }).locator('input[type="radio"]').check();
    await page.getByTestId('install-disko-disk').click();
    await proposal.waitFor({ timeout: 30_000 });
    expect(await proposal.textContent()).toContain(`device = "${disk.device}";`);
    await screenshotBothThemes(page, 'install-3a-disko-diff');
    await page.getByTestId('install-proposal-write').click();
    await expect.poll(() => fs.readFileSync(path.join(homelab, 'systems/docker-node/disko.nix'), 'utf8'), { timeout: 30_000 }).toContain(`device = "${disk.device}";`);
    await page.getByTestId('install-confirm-disk').fill(disk.device);
    await screenshotBothThemes(page, 'install-3-disk');
    await page.getByTestId('install-next').click();
    await page.getByTestId('install-summary').waitFor();
    await screenshotBothThemes(page, 'install-4-summary');
    await page.getByTestId('install-start').click();
    await page.getByTestId('install-progress').waitFor({ timeout: 30_000 });
    // After disko: the wizard says what is on the disk, and no longer offers Cancel.
    await expect.poll(() => page.getByTestId('install-state').textContent().catch(() => ''), { timeout: 120_000 }).toMatch(/is partitioned and formatted|holds the installed system/);
    expect(await page.getByTestId('install-cancel').count()).toBe(0);
    await screenshotBothThemes(page, 'install-5-progress');
    await expect.poll(() => page.getByTestId('install-progress').getAttribute('data-status'), { timeout: 240_000 }).toBe('succeeded');
    expect(await page.getByTestId('install-age-recipient').textContent()).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    await screenshotBothThemes(page, 'install-6-done');
    expect(await wizard.count()).toBe(1);
    const recipient = (await page.getByTestId('install-age-recipient').textContent()) ?? '';
    // The inventory shows the recorded host key and its age recipient once the wizard closes.
    await page.getByTestId('install-close').click();
    await expect.poll(() => page.getByTestId('system-age-recipient').textContent().catch(() => ''), { timeout: 30_000 }).toBe(recipient);
    await page.getByTestId('system-host-key').scrollIntoViewIfNeeded();
    await screenshotBothThemes(page, 'install-7-system-host-key');
    expect((await installer.host.exec(['hostname'])).stdout.trim()).toBe('docker-node');
    expect((await installer.host.exec(['cat', '/proc/self/mounts'])).stdout).toMatch(new RegExp(`^${disk.device}2 /nix ext4`, 'm'));
    expect(diskUntouched(installer.disks[0]!.file)).toBe(true);
    expect(errors.filter((e) => !/WebSocket|adb/i.test(e))).toEqual([]);
  });
});
