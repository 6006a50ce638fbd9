import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { screenshotBothThemes } from './browser';
import { openLabUi, type LabUi } from './lab-ui';

// "reboot needed" in the host list and detail pane, the health checks in the deploy sheet,
// and a failed check in the deploy view: lab host moonlight, fleet serve, Chromium.

const row = (page: Page, name: string): Locator => page.locator(`[data-testid="inventory-row"][data-name="${name}"]`);

describe('health checks and "reboot needed" in the UI', () => {
  let ui: LabUi | undefined;
  let page: Page;

  beforeAll(async () => {
    ui = await openLabUi({
      names: ['moonlight'],
      route: '#/systems',
      offline: ['zephyrus', 'lg-laptop', 'docker-node'],
      viewport: { width: 1280, height: 900 },
      prepare: async (world) => {
        // First install (it counts as the boot), then a kernel bump: the host now needs a reboot.
        expect((await world.deploy({ targets: ['moonlight'] })).job.status).toBe('succeeded');
        world.edit('systems/moonlight/default.nix', 'boot.kernel.version = "6.6.30";', 'boot.kernel.version = "6.6.32";');
        expect((await world.deploy({ targets: ['moonlight'] })).job.status).toBe('succeeded');
        // The next deploy (from the UI) breaks the status page: its unit check fails.
        world.edit('systems/moonlight/default.nix', 'services.status-page.fault = "none";', 'services.status-page.fault = "crash";');
      },
    });
    ({ page } = ui);
  }, 240_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('shows "reboot needed" after a kernel bump, in the list and the detail pane', async () => {
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    await page.getByTestId('hosts-check').click();
    await row(page, 'moonlight').getByTestId('host-reboot').waitFor({ timeout: 40_000 });
    expect(await row(page, 'moonlight').getByTestId('host-reboot').getAttribute('title')).toContain('the running system has a new kernel, initrd, kernel-modules');
    await row(page, 'moonlight').click();
    const reasons = page.getByTestId('host-reboot-reasons');
    await expect.poll(() => reasons.textContent(), { timeout: 30_000 }).toContain('the running system has a new kernel');
    await screenshotBothThemes(page, 'health-reboot-needed');
  });

  it('lists the health checks in the deploy sheet, and shows the failed check and the rollback in the deploy view', async () => {
    // The detail pane's Deploy button (moonlight is open there).
    await page.getByTestId('system-detail').getByTestId('deploy-button').click();
    const sheet = page.getByTestId('deploy-sheet');
    const checks = sheet.getByTestId('deploy-sheet-checks');
    await checks.waitFor({ timeout: 30_000 });
    expect(await checks.getByTestId('deploy-sheet-check').allTextContents()).toEqual(['unit status-page.service is active; ', 'command status-page --check succeeds on the host; ']);
    expect(await checks.getAttribute('data-skipped')).toBe('no');
    await screenshotBothThemes(page, 'health-deploy-sheet');
    await sheet.getByTestId('deploy-confirm').click();
    const view = page.getByTestId('deploy-view');
    await view.waitFor({ timeout: 30_000 });
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 120_000 }).toBe('failed');
    const hostRow = view.locator('[data-testid="deploy-host-row"][data-target="moonlight"]');
    expect(await hostRow.getAttribute('data-status')).toBe('rolled-back');
    expect(await hostRow.textContent()).toContain('rolled back: check unit status-page.service failed');
    const results = view.getByTestId('deploy-checks').getByTestId('deploy-check');
    await expect.poll(() => results.count(), { timeout: 30_000 }).toBe(3);
    expect(await results.nth(0).getAttribute('data-status')).toBe('failed');
    expect(await results.nth(0).textContent()).toContain('cannot open /var/lib/status-page/state');
    expect(await results.nth(1).getAttribute('data-status')).toBe('skipped');
    await view.getByTestId('deploy-checks').scrollIntoViewIfNeeded();
    await screenshotBothThemes(page, 'health-deploy-failed-check');
    expect(ui!.errors).toEqual([]);
  });
});
