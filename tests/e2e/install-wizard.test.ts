import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { repoRoot, startServe, type ServeHandle } from './serve-helper';
import { collectPageErrors, launchBrowser, screenshotBothThemes } from './browser';
import { startInstaller, type Installer } from '../harness/hosts/installer';

describe('Install wizard in Chromium: docker-node onto the lab installer (real sshd, nix, loop disk)', () => {
  let installer: Installer;
  let serve: ServeHandle;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    installer = await startInstaller({ diskSize: '1g' });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-install-home-'));
    fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    fs.writeFileSync(path.join(home, '.ssh/config'), `Include ${installer.lab.sshConfigPath}\n`);
    const homelab = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-install-'));
    fs.cpSync(path.join(repoRoot, 'flake'), homelab, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: homelab, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab');
    serve = await startServe({ flake: homelab, env: { HOME: home } });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    errors = collectPageErrors(page);
    await page.goto(serve.url);
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await serve?.close();
    await installer?.stop();
  });

  it('walks address, hardware, disk (typed confirmation), summary and progress, and installs', async () => {
    await page.getByTestId('inventory-systems').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="inventory-row"][data-name="docker-node"]').click();
    await page.getByTestId('install-open').click();
    const wizard = page.getByTestId('install-wizard');
    await page.getByTestId('install-to').fill(installer.host.name);
    await screenshotBothThemes(page, 'install-1-address');
    await page.getByTestId('install-next').click();
    await expect.poll(() => wizard.getAttribute('data-step'), { timeout: 30_000 }).toBe('hardware');
    expect(await page.getByTestId('install-hardware').textContent()).toContain(installer.disks[0]!.device);
    await screenshotBothThemes(page, 'install-2-hardware');
    await page.getByTestId('install-next').click();
    expect(await page.getByTestId('install-next').isDisabled()).toBe(true);
    await page.getByTestId('install-confirm-disk').fill(installer.disks[0]!.device);
    await screenshotBothThemes(page, 'install-3-disk');
    await page.getByTestId('install-next').click();
    await page.getByTestId('install-summary').waitFor();
    await screenshotBothThemes(page, 'install-4-summary');
    await page.getByTestId('install-start').click();
    await page.getByTestId('install-progress').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('.install-log').textContent(), { timeout: 60_000 }).toContain('disko:');
    await screenshotBothThemes(page, 'install-5-progress');
    await expect.poll(() => page.getByTestId('install-progress').getAttribute('data-status'), { timeout: 240_000 }).toBe('succeeded');
    expect(await page.getByTestId('install-done').textContent()).toMatch(/age1[02-9ac-hj-np-z]{58}/);
    await screenshotBothThemes(page, 'install-6-done');
    expect((await installer.host.exec(['hostname'])).stdout.trim()).toBe('docker-node');
    expect(errors.filter((e) => !/WebSocket|adb/i.test(e))).toEqual([]);
  });
});
