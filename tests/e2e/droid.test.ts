// The Droids screen in Chromium against `fleet serve`, with an EMULATED phone on a private
// adb server: the phone shows up in the droid's device panel, the setup wizard walks it to
// a working SSH connection (host key asked in the prompt sheet), and a deploy runs with its
// live log to a new generation, shown in Deploys like any host's. Screenshots in light and dark.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startPhone, type Phone } from '../harness/phone/index';
import { screenshotBothThemes } from './browser';
import { openCheckoutUi, type CheckoutUi } from './lab-ui';
import { freeLoopbackPort } from '../harness/free-port';
import { copyHomelab } from '../integration/build-homelab';

describe('Droids screen: emulated phone, setup wizard and deploy in Chromium', () => {
  let ui: CheckoutUi | undefined;
  let page: Page;
  let errors: string[];
  let phone: Phone;
  let home: string;
  let adbPort: number;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-droid-'));
    fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-e2e', '-f', path.join(home, '.ssh', 'id_ed25519')]);
    const homelab = copyHomelab();
    adbPort = await freeLoopbackPort();
    process.env.ANDROID_ADB_SERVER_PORT = String(adbPort);
    // Bootstrapped but without sshd: the wizard has to type the SSH access command.
    phone = await startPhone({ scenario: 'bootstrapped' });
    ui = await openCheckoutUi({ flake: homelab, env: { ANDROID_ADB_SERVER_PORT: String(adbPort), HOME: home }, viewport: { width: 1280, height: 900 } });
    ({ page, errors } = ui);
  });

  afterAll(async () => {
    await ui?.close();
    await phone?.stop();
    try {
      execFileSync('adb', ['-P', String(adbPort), 'kill-server'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("shows the connected phone in the droid's device panel", async () => {
    await page.getByTestId('nav-droids').click();
    await page.locator('[data-testid="inventory-row"][data-name="soriphoono"]').click();
    const panel = page.getByTestId('droid-device-panel');
    await panel.waitFor({ timeout: 30_000 });
    const card = page.locator(`[data-testid="droid-device"][data-serial="${phone.serial}"]`);
    await card.waitFor({ timeout: 30_000 });
    expect(await card.getAttribute('data-state')).toBe('device');
    expect(await card.textContent()).toContain('arm64-v8a');
    await screenshotBothThemes(page, 'droid-device-panel');
  });

  it('walks the setup wizard to a working connection, asking for the host key', async () => {
    await page.locator(`[data-testid="droid-device"][data-serial="${phone.serial}"] [data-testid="droid-setup-other"]`).click();
    await page.getByTestId('droid-wizard').waitFor();
    await page.getByTestId('droid-wizard-consent').check();
    await screenshotBothThemes(page, 'droid-setup-wizard');
    await page.getByTestId('droid-wizard-start').click();
    await page.getByTestId('prompt-sheet').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('prompt-fingerprint').textContent()).toMatch(/^SHA256:/);
    await page.getByTestId('prompt-accept').click();
    await expect.poll(() => page.getByTestId('job-status').textContent(), { timeout: 60_000 }).toBe('succeeded');
    await expect.poll(() => page.locator(`[data-testid="droid-device"][data-serial="${phone.serial}"]`).textContent()).toContain('linked to droids/soriphoono');
    await screenshotBothThemes(page, 'droid-setup-done');
  });

  it('deploys the droid with a live log and lists the new generation', async () => {
    await page.getByTestId('droid-deploy').click();
    await page.locator('[data-testid="job-panel"]', { hasText: 'Deploy droid soriphoono' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('job-status').textContent(), { timeout: 120_000 }).toBe('succeeded');
    // The job's last log lines may reach the page a moment after its status does.
    await expect.poll(() => page.getByTestId('job-panel').textContent(), { timeout: 30_000 }).toContain('Nix-on-Droid activation done');
    await page.getByTestId('droid-generations').click();
    await page.getByTestId('droid-generation-list').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('droid-generation-list').textContent()).toMatch(/#1.*current/);
    await screenshotBothThemes(page, 'droid-deployed');
    expect(errors).toEqual([]);
  });

  it('shows the phone deploy in Deploys like a host deploy: its row, stages, timeline and history', async () => {
    await page.getByTestId('droid-open-deploy').click();
    const view = page.getByTestId('deploy-view');
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    const row = page.locator('[data-testid="deploy-host-row"][data-target="droid:soriphoono"]');
    expect(await row.getAttribute('data-status')).toBe('succeeded');
    expect(await row.getAttribute('data-stage')).toBe('activate');
    const history = page.locator('[data-testid="deploy-history-row"]', { hasText: 'droid:soriphoono' });
    expect(await history.count()).toBe(1);
    expect(await history.getAttribute('data-status')).toBe('succeeded');
    await screenshotBothThemes(page, 'deploys-phone');
    expect(errors).toEqual([]);
    await page.getByTestId('nav-droids').click();
    await page.locator('[data-testid="inventory-row"][data-name="soriphoono"]').click();
    await page.getByTestId('droid-device-panel').waitFor({ timeout: 30_000 });
  });

  it('drops the phone from the panel when it is unplugged and says what to do', async () => {
    await phone.disconnect('unplug');
    await page.getByTestId('droid-devices-empty').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="droid-device"]').count()).toBe(0);
    expect(await page.getByTestId('droid-deploy').isDisabled()).toBe(true);
    await screenshotBothThemes(page, 'droid-no-phone');
    expect(errors).toEqual([]);
  });
});
