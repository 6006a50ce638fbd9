import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { screenshotBothThemes } from './browser';
import { openLabUi, type LabUi } from './lab-ui';
import type { DeployWorld } from '../integration/deploy-world';

// Records what the page hands to the Web Notifications API (headless Chromium shows nothing).
const spyNotifications = `
  window.__notifications = [];
  class FakeNotification {
    static permission = 'granted';
    static requestPermission() { return Promise.resolve('granted'); }
    constructor(title, options) { window.__notifications.push({ title, body: options && options.body, tag: options && options.tag }); }
    close() {}
  }
  window.Notification = FakeNotification;
`;

describe('deploy from the browser UI against fleet serve and lab hosts', () => {
  let ui: LabUi | undefined;
  let world: DeployWorld;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ui = await openLabUi({ names: ['zephyrus', 'moonlight'], route: '#/deploys', initScript: spyNotifications });
    ({ world, page, errors } = ui);
  });
  afterAll(async () => {
    await ui?.close();
  });

  it('shows every host online after a status check', async () => {
    await page.getByTestId('deploys-screen').waitFor({ timeout: 30_000 });
    await page.getByTestId('hosts-refresh').click();
    await expect.poll(() => page.locator('[data-testid="host-status-row"][data-online="yes"]').count(), { timeout: 30_000 }).toBe(2);
    // lg-laptop, docker-node and tv-box have no lab host: offline.
    await expect.poll(() => page.locator('[data-testid="host-status-row"][data-online="no"]').count()).toBe(3);
  });

  it('deploys a host from the confirmation sheet, with per-host progress, separate logs, timeline and a notification', async () => {
    await page.locator('[data-testid="host-status-row"][data-target="zephyrus"] [data-testid="deploy-button"]').click();
    const sheet = page.getByTestId('deploy-sheet');
    await sheet.waitFor();
    await expect.poll(() => sheet.getByTestId('deploy-sheet-host').count(), { timeout: 30_000 }).toBe(1);
    await screenshotBothThemes(page, 'deploy-sheet');
    await sheet.getByTestId('deploy-confirm').click();
    const view = page.getByTestId('deploy-view');
    await view.waitFor();
    await page.locator('[data-testid="deploy-host-row"][data-target="zephyrus"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    await expect.poll(() => page.locator('[data-testid="deploy-host-row"][data-target="zephyrus"]').getAttribute('data-status')).toBe('succeeded');
    await page.getByTestId('deploy-timeline').waitFor();
    await expect.poll(() => page.getByTestId('timeline-row').count()).toBe(1);
    await expect.poll(async () => (await page.getByTestId('deploy-host-log').textContent()) ?? '', { timeout: 30_000 }).toContain('activating the configuration');
    await page.getByTestId('deploy-toast').first().waitFor();
    expect(await page.getByTestId('deploy-toast').first().textContent()).toContain('1 deployed');
    const notes = (await page.evaluate(() => (window as unknown as { __notifications: { title: string; body: string }[] }).__notifications)) ?? [];
    expect(notes).toContainEqual(expect.objectContaining({ title: 'Deploy finished', body: '1 deployed' }));
    expect(await world.lab.host('zephyrus').currentSystem()).toMatch(/nixos-system-zephyrus/);
    await screenshotBothThemes(page, 'deploy-view');
  });

  it('"Deploy all out-of-date" picks the host not yet deployed; history lists both deploys', async () => {
    await page.getByTestId('hosts-refresh').click();
    const outOfDate = page.locator('[data-testid="deploy-hosts-card"] [data-testid="deploy-button"]').first();
    await expect.poll(() => outOfDate.getAttribute('data-targets'), { timeout: 30_000 }).toBe('moonlight');
    await outOfDate.click();
    const sheet = page.getByTestId('deploy-sheet');
    await expect.poll(() => sheet.getByTestId('deploy-sheet-host').count(), { timeout: 30_000 }).toBe(1);
    await sheet.getByTestId('deploy-confirm').click();
    await expect.poll(() => page.getByTestId('deploy-view').getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    await expect.poll(() => page.getByTestId('deploy-history-row').count(), { timeout: 30_000 }).toBe(2);
    await page.getByTestId('deploy-history-row').nth(1).click();
    await expect.poll(() => page.locator('[data-testid="deploy-host-row"]').first().getAttribute('data-target')).toBe('zephyrus');
    await screenshotBothThemes(page, 'deploy-history');
    expect(errors).toEqual([]);
  });

  it('deploying zephyrus again unchanged shows it "up to date" (nothing copied or activated)', async () => {
    await page.goto(page.url().replace(/#.*$/, '#/deploys'));
    await page.getByTestId('hosts-refresh').click();
    const row = page.locator('[data-testid="host-status-row"][data-target="zephyrus"]');
    await expect.poll(() => row.getAttribute('data-online'), { timeout: 30_000 }).toBe('yes');
    await row.getByTestId('deploy-button').click();
    const sheet = page.getByTestId('deploy-sheet');
    await expect.poll(() => sheet.getByTestId('deploy-sheet-host').count(), { timeout: 30_000 }).toBe(1);
    await sheet.getByTestId('deploy-confirm').click();
    await expect.poll(() => page.getByTestId('deploy-view').getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    const result = page.locator('[data-testid="deploy-host-row"][data-target="zephyrus"] [data-testid="deploy-host-result"]');
    await expect.poll(() => result.textContent()).toBe('up to date');
    expect(await page.locator('[data-testid="deploy-host-row"][data-target="zephyrus"]').textContent()).toContain('already up to date (generation 1)');
    await screenshotBothThemes(page, 'deploy-up-to-date');
    expect(errors).toEqual([]);
  });
});
