import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServe, type ServeHandle } from './serve-helper';
import { collectPageErrors, launchBrowser, screenshotBothThemes } from './browser';
import { copyHomelab } from '../integration/build-homelab';

describe('the app shell in Chromium against fleet serve', () => {
  let serveHandle: ServeHandle;
  let browser: Browser;
  let homelab: string;

  beforeAll(async () => {
    homelab = copyHomelab();
    serveHandle = await startServe({ flake: homelab });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await serveHandle?.close();
  });

  it('refuses the UI without the token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(serveHandle.origin + '/');
    expect(response?.status()).toBe(401);
    await context.close();
  });

  it('opens the example homelab and shows 5 systems, 1 standalone home and 1 droid', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(serveHandle.url);
    await expect.poll(() => page.getByTestId('count-systems').textContent(), { timeout: 30_000 }).toBe('5');
    expect(await page.getByTestId('count-homes').textContent()).toBe('1');
    expect(await page.getByTestId('count-droids').textContent()).toBe('1');
    expect(await page.getByTestId('checkout-name').textContent()).toBe(path.basename(homelab));
    expect(await page.getByTestId('checkout-branch').textContent()).toContain('main');
    await page.getByTestId('checkout-clean').waitFor();
    await screenshotBothThemes(page, 'shell-systems');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the dirty state, remembers checkouts, and explains a folder that is not a homelab', async () => {
    fs.appendFileSync(path.join(homelab, 'flake.nix'), '\n# edited\n');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(serveHandle.url);
    await page.getByTestId('checkout-dirty').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('checkout-dirty').textContent()).toContain('1 changed');
    await page.getByTestId('open-homelab').click();
    const notHomelab = fs.mkdtempSync(path.join(os.tmpdir(), 'not-a-homelab-'));
    await page.getByTestId('open-path').fill(notHomelab);
    await page.getByTestId('open-submit').click();
    await page.getByTestId('open-error').waitFor();
    expect(await page.getByTestId('open-error').textContent()).toMatch(/no flake\.nix/);
    expect(await page.getByTestId('recent-list').textContent()).toContain(homelab);
    await screenshotBothThemes(page, 'shell-open');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-screen').waitFor();
    await screenshotBothThemes(page, 'shell-settings');
    await context.close();
    // The recent list is in the settings file, written atomically, so it survives a restart.
    const settings = JSON.parse(fs.readFileSync(path.join(serveHandle.dataDir, 'settings.json'), 'utf8')) as { recent: string[] };
    expect(settings.recent).toContain(homelab);
  });

  it('on first run (no homelab given, nothing remembered) opens the example homelab', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-cwd-'));
    const first = await startServe({ cwd: elsewhere });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(first.url);
      await expect.poll(() => page.getByTestId('checkout-name').textContent(), { timeout: 30_000 }).toBe('flake');
      await expect.poll(() => page.getByTestId('count-systems').textContent(), { timeout: 30_000 }).toBe('5');
      await context.close();
    } finally {
      await first.close();
    }
  });
});
