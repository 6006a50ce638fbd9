import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { screenshotBothThemes } from './browser';
import { openCheckoutUi, type CheckoutUi } from './lab-ui';
import type { ServeHandle } from './serve-helper';
import { freeLoopbackPort } from '../harness/free-port';
import { copyHomelab } from '../integration/build-homelab';

const rowNames = (page: Page) => page.getByTestId('inventory-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));

describe('inventory screens in Chromium against fleet serve', () => {
  let ui: CheckoutUi | undefined;
  let serve: ServeHandle;
  let page: Page;
  let errors: string[];
  let homelab: string;
  let adbPort: number;

  beforeAll(async () => {
    homelab = copyHomelab();
    // The Droids screen talks to adb: this test's own server, on a free port.
    adbPort = await freeLoopbackPort();
    ui = await openCheckoutUi({ flake: homelab, env: { ANDROID_ADB_SERVER_PORT: String(adbPort) }, viewport: { width: 1280, height: 800 } });
    ({ serve, page, errors } = ui);
  });
  afterAll(async () => {
    await ui?.close();
    try {
      if (adbPort) execFileSync('adb', ['-P', String(adbPort), 'kill-server'], { stdio: 'ignore' });
    } catch {
      // no adb server was started on it
    }
  });

  it('lists the systems of flake/, checked against the flake', async () => {
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    await expect.poll(() => rowNames(page)).toEqual(['docker-node', 'lg-laptop', 'moonlight', 'tv-box', 'zephyrus']);
    await expect.poll(() => page.getByTestId('flake-status').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
    await expect.poll(() => page.locator('[data-testid="inventory-row"] [data-flake="discovered-and-in-flake"]').count()).toBe(5);
    await screenshotBothThemes(page, 'inventory-systems');
  });

  it('shows a system directory added on disk without a reload, marked as not yet in the flake until git tracks it', async () => {
    const dir = path.join(homelab, 'systems', 'newhost');
    const started = Date.now();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'default.nix'), '{ ... }: { }\n');
    fs.writeFileSync(path.join(dir, 'meta.json'), '{ "system": "aarch64-linux", "deploy": { "tags": ["edge"] } }\n');
    // Shown by the watcher, not by a reload. How fast is printed, not asserted (no timings in npm test).
    await page.locator('[data-testid="inventory-row"][data-name="newhost"]').waitFor({ timeout: 30_000 });
    process.stdout.write(`new system folder shown after ${Date.now() - started} ms\n`);
    expect(await page.getByTestId('count-systems').textContent()).toBe('6');
    // Untracked files are invisible to nix (git+file), and the app says so.
    await expect
      .poll(() => page.locator('[data-testid="inventory-row"][data-name="newhost"] [data-flake]').getAttribute('data-flake'), { timeout: 30_000 })
      .toBe('discovered-only');
    execFileSync('git', ['add', 'systems/newhost'], { cwd: homelab });
    await expect
      .poll(() => page.locator('[data-testid="inventory-row"][data-name="newhost"] [data-flake]').getAttribute('data-flake'), { timeout: 30_000 })
      .toBe('discovered-and-in-flake');
  });

  it('filters by name, arch and tag, and moves with the keyboard', async () => {
    await page.locator('body').click({ position: { x: 600, y: 20 } });
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('inventory-search');
    await page.keyboard.type('moon');
    await expect.poll(() => rowNames(page)).toEqual(['moonlight']);
    await page.getByTestId('inventory-search').fill('arch:aarch64');
    await expect.poll(() => rowNames(page)).toEqual(['newhost']);
    await page.getByTestId('inventory-search').fill('');
    await page.getByTestId('inventory-tag').selectOption('server');
    await expect.poll(() => rowNames(page)).toEqual(['docker-node', 'moonlight']);
    await page.getByTestId('inventory-tag').selectOption('');
    await page.getByTestId('inventory-search').fill('nothing-like-this');
    await page.getByTestId('inventory-no-match').waitFor();
    await page.getByTestId('inventory-search').fill('');
    await page.getByTestId('inventory-list').focus();
    await page.keyboard.press('Home');
    await expect.poll(() => page.getByTestId('system-detail').getAttribute('data-name')).toBe('docker-node');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.getByTestId('system-detail').getAttribute('data-name')).toBe('moonlight');
  });

  it('opens the detail of a system: path, arch, deploy target, attached homes, secrets', async () => {
    await page.locator('[data-testid="inventory-row"][data-name="zephyrus"]').click();
    const detail = page.getByTestId('system-detail');
    await expect.poll(() => detail.getAttribute('data-name')).toBe('zephyrus');
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('systems/zephyrus');
    expect(text).toContain('x86_64-linux');
    expect(text).toContain('homes/soriphoono@zephyrus');
    expect(await page.getByTestId('deploy-target').textContent()).toBe('zephyrus');
    // From the deploy history (none in a fresh data folder).
    await expect.poll(() => detail.textContent()).toContain('no deploys recorded yet');
    await page.locator('[data-testid="inventory-row"][data-name="moonlight"]').click();
    expect(await page.getByTestId('item-secrets').textContent()).toContain('systems/moonlight/secrets.yaml');
    await screenshotBothThemes(page, 'inventory-system-detail');
  });

  it('picks systems (checkbox, Shift-click range, Ctrl-click toggle) for "Deploy N"; no host is probed unasked', async () => {
    const row = (name: string) => page.locator(`[data-testid="inventory-row"][data-name="${name}"]`);
    const picked = () => page.getByTestId('inventory-row').evaluateAll((rows) => rows.filter((r) => r.getAttribute('data-picked') === 'yes').map((r) => r.getAttribute('data-name')));
    await row('docker-node').getByTestId('inventory-pick').click();
    await row('moonlight').click({ modifiers: ['Shift'] });
    expect(await picked()).toEqual(['docker-node', 'lg-laptop', 'moonlight']);
    await row('lg-laptop').click({ modifiers: ['Control'] });
    expect(await picked()).toEqual(['docker-node', 'moonlight']);
    const deploy = page.locator('.inv-counts-row [data-testid="deploy-button"]');
    expect(await deploy.getAttribute('data-targets')).toBe('docker-node moonlight');
    expect(await deploy.textContent()).toBe('Deploy 2');
    expect(await page.getByTestId('inventory-picked').textContent()).toContain('2 picked');
    // The detail pane follows the last click and offers the actions of one host.
    expect(await page.getByTestId('system-detail').getAttribute('data-name')).toBe('lg-laptop');
    expect(await page.locator('[data-testid="system-detail"] [data-testid="deploy-button"]').getAttribute('data-targets')).toBe('lg-laptop');
    await page.getByTestId('system-build').waitFor();
    expect(await page.getByTestId('host-state').textContent()).toBe('not checked yet');
    expect(await row('moonlight').getByTestId('host-dot').getAttribute('data-online')).toBe('unknown');
    await page.getByTestId('inventory-list').focus();
    await page.keyboard.press('Space');
    expect(await picked()).toEqual(['docker-node', 'lg-laptop', 'moonlight']);
    await page.keyboard.press('Escape');
    expect(await picked()).toEqual([]);
    await expect.poll(() => deploy.count()).toBe(0);
    await page.getByTestId('inventory-pick-all').check();
    expect((await picked()).length).toBe(6);
    await page.getByTestId('inventory-unpick').click();
    expect(await picked()).toEqual([]);
    await row('moonlight').click();
  });

  it('edits the deploy target into meta.json', async () => {
    await page.getByTestId('edit-deploy').click();
    await page.getByTestId('deploy-host').fill('moonlight.lan');
    // Arrow keys in the form edit the field; they do not move the list selection.
    await page.getByTestId('deploy-host').press('ArrowDown');
    expect(await page.getByTestId('system-detail').getAttribute('data-name')).toBe('moonlight');
    await page.getByTestId('deploy-save').click();
    await expect.poll(() => page.getByTestId('deploy-target').textContent()).toBe('moonlight.lan');
    const meta = JSON.parse(fs.readFileSync(path.join(homelab, 'systems/moonlight/meta.json'), 'utf8')) as { deploy: { host: string } };
    expect(meta.deploy.host).toBe('moonlight.lan');
  });

  it('keeps showing the scan and points at the file and line when the flake does not evaluate', async () => {
    const file = path.join(homelab, 'flake.nix');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, original.replace('outputs = { self }:', 'outputs = { self }: broken ='));
    await expect.poll(() => page.getByTestId('flake-status').getAttribute('data-state'), { timeout: 30_000 }).toBe('failed');
    expect(await page.getByTestId('flake-location').textContent()).toMatch(/^flake\.nix:\d+:\d+$/);
    expect(await page.getByTestId('flake-location').getAttribute('title')).toBe(file);
    expect((await rowNames(page)).length).toBe(6);
    await screenshotBothThemes(page, 'inventory-eval-failed');
    fs.writeFileSync(file, original);
    await expect.poll(() => page.getByTestId('flake-status').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  });

  it('sets the layout folder per checkout (nix still lists the hosts: flake only), and detects it again', async () => {
    await page.getByTestId('checkout-warnings').locator('summary').click();
    const form = page.getByTestId('layout-root');
    await form.locator('input').fill('modules');
    await form.getByRole('button', { name: 'Use' }).click();
    // Nothing is discovered there, so what nix lists shows up as "flake only", each with its warning.
    await expect
      .poll(() => page.locator('[data-testid="inventory-row"] [data-flake]').evaluateAll((els) => els.map((e) => e.getAttribute('data-flake'))))
      .toEqual(Array(6).fill('in-flake-only'));
    await screenshotBothThemes(page, 'inventory-wrong-layout');
    await page.getByTestId('layout-root').getByRole('button', { name: 'Detect' }).click();
    await expect
      .poll(() => page.locator('[data-testid="inventory-row"] [data-flake]').evaluateAll((els) => els.map((e) => e.getAttribute('data-flake'))))
      .toEqual(Array(6).fill('discovered-and-in-flake'));
    expect(await rowNames(page)).toEqual(['docker-node', 'lg-laptop', 'moonlight', 'newhost', 'tv-box', 'zephyrus']);
    const settings = JSON.parse(fs.readFileSync(path.join(serve.dataDir, 'settings.json'), 'utf8')) as { layoutRoots: Record<string, string> };
    expect(settings.layoutRoots[homelab]).toBeUndefined();
  });

  it('shows homes and droids', async () => {
    await page.getByTestId('nav-homes').click();
    await expect.poll(() => rowNames(page)).toEqual(['soriphoono']);
    const detail = page.getByTestId('home-detail');
    expect(await detail.textContent()).toContain('homes/soriphoono@global');
    // A standalone home deploys as home:<name>@<host>; its own user@host folder names the host.
    const homeDeploy = page.locator('[data-testid="home-deploy"] [data-testid="deploy-button"]');
    expect(await homeDeploy.getAttribute('data-targets')).toBe('home:soriphoono@zephyrus');
    await page.getByTestId('home-deploy-host').fill('');
    expect(await homeDeploy.isDisabled()).toBe(true);
    await page.getByTestId('home-deploy-host').fill('moonlight');
    expect(await homeDeploy.getAttribute('data-targets')).toBe('home:soriphoono@moonlight');
    await page.getByTestId('home-deploy-host').fill('zephyrus');
    await screenshotBothThemes(page, 'inventory-homes');
    await page.getByTestId('nav-droids').click();
    await expect.poll(() => rowNames(page)).toEqual(['soriphoono']);
    expect(await page.getByTestId('droid-detail').textContent()).toContain('aarch64-linux');
    expect(await page.locator('[data-testid="droid-detail"] [data-testid="droid-device-panel"]').getAttribute('data-droid')).toBe('soriphoono');
    await screenshotBothThemes(page, 'inventory-droids');
    expect(errors).toEqual([]);
  });
});
