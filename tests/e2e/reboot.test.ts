import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { screenshotBothThemes } from './browser';
import { openLabUi, type LabUi } from './lab-ui';

// Rebooting from the UI: "Reboot 2" on a selection opens a sheet naming the hosts and the
// rolling order; the deploy view shows the reboot stage while the hosts go down and come back,
// and a host back only after the timeout as not back in time, then with what it booted.
// Lab hosts moonlight and zephyrus (they really go down and boot their boot default), fleet
// serve, Chromium.

const row = (page: Page, name: string): Locator => page.locator(`[data-testid="inventory-row"][data-name="${name}"]`);

describe('Reboot in the UI', () => {
  let ui: LabUi | undefined;
  let page: Page;

  beforeAll(async () => {
    ui = await openLabUi({
      names: ['moonlight', 'zephyrus'],
      route: '#/systems',
      offline: ['lg-laptop', 'docker-node'],
      viewport: { width: 1280, height: 900 },
      prepare: async (world) => {
        // First install (it counts as the boot), then a kernel bump: moonlight needs a reboot.
        expect((await world.deploy({ targets: ['moonlight', 'zephyrus'] })).job.status).toBe('succeeded');
        world.edit('systems/moonlight/default.nix', 'boot.kernel.version = "6.6.30";', 'boot.kernel.version = "6.6.32";');
        expect((await world.deploy({ targets: ['moonlight'] })).job.status).toBe('succeeded');
      },
    });
    ({ page } = ui);
  }, 300_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('the detail pane offers Reboot, and "Reboot afterwards" in the deploy sheet deploys in boot mode', async () => {
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    await page.getByTestId('hosts-check').click();
    await row(page, 'moonlight').getByTestId('host-reboot').waitFor({ timeout: 40_000 });
    await row(page, 'moonlight').click();
    const detail = page.getByTestId('system-detail');
    expect(await detail.getByTestId('reboot-button').textContent()).toBe('Reboot');
    await detail.getByTestId('deploy-button').click();
    const sheet = page.getByTestId('deploy-sheet');
    await sheet.getByTestId('deploy-reboot').check();
    expect(await sheet.getByTestId('deploy-mode').inputValue()).toBe('boot');
    expect(await sheet.getByTestId('deploy-mode').isDisabled()).toBe(true);
    await expect.poll(() => sheet.getByTestId('deploy-sheet-plan').textContent(), { timeout: 30_000 }).toContain('reboot the hosts one at a time');
    expect(await sheet.getByTestId('deploy-sheet-checks').textContent()).toContain('once the host is back from its reboot');
    await screenshotBothThemes(page, 'reboot-deploy-sheet');
    await sheet.getByRole('button', { name: 'Cancel' }).click();
  });

  it('"Reboot 2" on a selection: the sheet names the hosts in rolling order; the deploy view shows the reboot stage, then both back', async () => {
    await row(page, 'moonlight').getByTestId('inventory-pick').click();
    await row(page, 'zephyrus').getByTestId('inventory-pick').click();
    const button = page.locator('[data-testid="inventory-systems"] .inv-counts-row [data-testid="reboot-button"]');
    expect(await button.textContent()).toBe('Reboot 2');
    await screenshotBothThemes(page, 'reboot-selection');
    await button.click();
    const sheet = page.getByTestId('reboot-sheet');
    const waves = sheet.getByTestId('reboot-wave');
    await expect.poll(() => waves.count(), { timeout: 30_000 }).toBe(2);
    // Canary first by default for several hosts: moonlight alone, then zephyrus.
    expect(await waves.nth(0).textContent()).toMatch(/^moonlight generation \d+(reboot needed)? — alone first \(canary\)/);
    expect(await waves.nth(1).textContent()).toMatch(/^zephyrus generation \d+ — once the hosts before are back/);
    expect(await sheet.getByTestId('reboot-confirm').textContent()).toBe('Reboot 2 hosts');
    await screenshotBothThemes(page, 'reboot-sheet');
    // Short timeout: the lab hosts are back in seconds.
    await sheet.getByLabel('Reboot timeout in seconds').fill('90');
    await sheet.getByTestId('reboot-confirm').click();

    const view = page.getByTestId('deploy-view');
    await view.waitFor({ timeout: 30_000 });
    const moonlight = view.locator('[data-testid="deploy-host-row"][data-target="moonlight"]');
    // The wait is shown as it goes: "waiting for moonlight to go down / come back, N s".
    await expect.poll(() => moonlight.getByTestId('deploy-host-message').textContent({ timeout: 1000 }).catch(() => ''), { timeout: 60_000, interval: 100 }).toMatch(/^waiting for moonlight to (go down|come back), \d+ s$/);
    expect(await moonlight.getAttribute('data-stage')).toBe('reboot');
    await screenshotBothThemes(page, 'reboot-deploy-view-waiting');
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 240_000 }).toBe('succeeded');
    expect(await moonlight.getByTestId('deploy-host-message').textContent()).toMatch(/^rebooted into generation \d+ \(back after \d+ s\)$/);
    const zephyrus = view.locator('[data-testid="deploy-host-row"][data-target="zephyrus"]');
    expect(await zephyrus.getByTestId('deploy-host-message').textContent()).toMatch(/^rebooted into generation \d+ \(back after \d+ s\)$/);
    const timeline = page.getByTestId('deploy-timeline');
    await timeline.waitFor({ timeout: 30_000 });
    expect(await timeline.locator('[data-testid="timeline-row"] .tl-reboot').count()).toBe(2);
    await timeline.scrollIntoViewIfNeeded();
    await screenshotBothThemes(page, 'reboot-deploy-view-done');
  }, 300_000);

  it('a host that comes back only after the timeout: the deploy view says so while it is still watched, then what it booted', async () => {
    // Dark for longer than the 30 s the app waits, then it boots its boot default.
    await ui!.world.lab.host('zephyrus').comeBackLate(32);
    await page.goto(`${ui!.serve.url}#/systems/zephyrus`);
    const detail = page.getByTestId('system-detail');
    await detail.getByTestId('reboot-button').click();
    const sheet = page.getByTestId('reboot-sheet');
    await sheet.getByLabel('Reboot timeout in seconds').fill('30');
    await expect.poll(() => sheet.getByTestId('reboot-sheet-plan').textContent(), { timeout: 30_000 }).toContain('watched for as long again (30 s more)');
    await sheet.getByTestId('reboot-confirm').click();

    const view = page.getByTestId('deploy-view');
    await view.waitFor({ timeout: 30_000 });
    const zephyrus = view.locator('[data-testid="deploy-host-row"][data-target="zephyrus"]');
    const message = () => zephyrus.getByTestId('deploy-host-message').textContent({ timeout: 1000 }).catch(() => '');
    await expect
      .poll(message, { timeout: 90_000, interval: 200 })
      .toMatch(/^did not come back within 30 s \(last seen \d\d:\d\d:\d\d, not answering since \d\d:\d\d:\d\d\); still watching for it until \d\d:\d\d:\d\d at least, without rebooting it again$/);
    expect(await zephyrus.getByTestId('deploy-host-result').textContent()).toBe('failed');
    await screenshotBothThemes(page, 'reboot-deploy-view-late-watching');
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 120_000 }).toBe('failed');
    expect(await message()).toMatch(/; it answered \d+ s after the reboot was asked for, having booted generation \d+$/);
    expect(await view.textContent()).toContain('1 of 1 target not rebooted: zephyrus failed (did not come back within 30 s');
    await page.getByTestId('deploy-timeline').waitFor({ timeout: 30_000 });
    await screenshotBothThemes(page, 'reboot-deploy-view-late-answered');
  }, 300_000);
});
