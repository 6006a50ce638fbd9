import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createCore, type FleetCore } from '../../src-main/core/core';
import { collectPageErrors, launchBrowser, screenshotBothThemes } from './browser';
import { repoRoot, startServe, type ServeHandle } from './serve-helper';

// The binary cache form is person-only (cache.set): the desktop window shows it editable,
// a browser read-only. Electron cannot run here, so this is an EMULATED DESKTOP BRIDGE: the
// built renderer (served by `fleet serve`, which only hands out its files here) gets a
// window.fleet of kind 'desktop', as the preload exposes it, whose calls go to a real core
// created as the desktop app creates it (host 'desktop') in this test process, and whose
// events come from that core. Nothing of the page's own WebSocket is used.
const bridgeScript = `(() => {
  const listeners = new Set();
  window.__fleetDesktopEmit = (event) => { for (const listener of listeners) listener(event); };
  window.fleet = {
    kind: 'desktop',
    invoke: (name, input) => window.__fleetDesktopInvoke(name, input),
    subscribe: (listener) => { listeners.add(listener); return () => listeners.delete(listener); },
    pickFolder: async () => null,
    openExternal: async () => false,
  };
})();`;

describe('cache form in an emulated desktop bridge (real core, Chromium)', () => {
  let serve: ServeHandle;
  let core: FleetCore;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let keyDir: string;

  beforeAll(async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-desktop-'));
    keyDir = path.join(base, 'keys');
    fs.mkdirSync(keyDir);
    execFileSync('nix-store', ['--generate-binary-cache-key', 'homelab-cache-1', path.join(keyDir, 'secret'), path.join(keyDir, 'public')]);
    const flake = path.join(repoRoot, 'flake');
    serve = await startServe({ flake, dataDir: path.join(base, 'serve-data') });
    core = createCore({ host: 'desktop', dataDir: path.join(base, 'desktop-data'), root: flake, env: { ...process.env, HOME: base } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    errors = collectPageErrors(page);
    await page.exposeFunction('__fleetDesktopInvoke', (name: string, input: unknown) => core.invokeWire(name, input));
    core.subscribe((event) => void page.evaluate((e) => (window as unknown as { __fleetDesktopEmit?: (e: unknown) => void }).__fleetDesktopEmit?.(e), event).catch(() => undefined));
    await page.addInitScript(bridgeScript);
    await page.goto(serve.url);
    await page.goto(`${serve.origin}/#/settings`);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await core?.dispose();
    await serve?.close();
  });

  const setting = () => page.getByTestId('cache-setting');

  it('shows the editable form with no cache set, and checks the URL as it is typed', async () => {
    await expect.poll(() => setting().getAttribute('data-set'), { timeout: 30_000 }).toBe('no');
    expect(await page.getByTestId('cache-url-readonly').count()).toBe(0);
    expect(await page.getByTestId('cache-none').textContent()).toMatch(/^No binary cache set/);
    expect(await page.getByTestId('cache-save').isDisabled()).toBe(true);
    await page.getByTestId('cache-url').fill('ssh://');
    expect(await page.getByTestId('cache-url-problem').textContent()).toMatch(/ssh:\/\/host/);
    expect(await page.getByTestId('cache-save').isDisabled()).toBe(true);
    await setting().scrollIntoViewIfNeeded();
    await screenshotBothThemes(page, 'cache-form-desktop-typing');
  });

  it('a key nix cannot read is refused with why, nothing saved', async () => {
    await page.getByTestId('cache-url').fill('file:///srv/nix-cache');
    await page.getByTestId('cache-key').fill(path.join(keyDir, 'missing'));
    await page.getByTestId('cache-save').click();
    await page.getByTestId('cache-error').waitFor({ timeout: 30_000 });
    expect(await setting().getAttribute('data-set')).toBe('no');
    await screenshotBothThemes(page, 'cache-form-desktop-error');
  });

  it('saves the cache through the core: the public key hosts must trust is shown', async () => {
    await page.getByTestId('cache-key').fill(path.join(keyDir, 'secret'));
    await page.getByTestId('cache-save').click();
    await expect.poll(() => setting().getAttribute('data-set'), { timeout: 30_000 }).toBe('yes');
    const publicKey = fs.readFileSync(path.join(keyDir, 'public'), 'utf8').trim();
    expect(await page.getByTestId('cache-public-key').textContent()).toBe(publicKey);
    expect(await page.getByTestId('cache-error').count()).toBe(0);
    // Nothing left to save, and the form says it is saved.
    expect(await page.getByTestId('cache-save').isDisabled()).toBe(true);
    expect(await page.getByTestId('cache-saved').textContent()).toMatch(/^Saved\./);
    // The lines a host needs, whole (never broken inside the key).
    expect(await page.getByTestId('cache-snippet').textContent()).toBe(`nix.settings.substituters = [ "file:///srv/nix-cache" ];\nnix.settings.trusted-public-keys = [ "${publicKey}" ];`);
    // The core kept it: what `fleet cache` would print.
    expect(await core.invoke('cache.get', {})).toMatchObject({ url: 'file:///srv/nix-cache', secretKeyFile: path.join(keyDir, 'secret'), publicKey });
    await screenshotBothThemes(page, 'cache-form-desktop-saved');
    expect(errors).toEqual([]);
  });
});
