import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, launchBrowser, screenshotBothThemes } from './browser';
import { repoRoot, startServe, type ServeHandle } from './serve-helper';

// Issue 13: a page must never choose the programs the app runs, so the browser UI shows
// the editor the person set (here with the real CLI) read-only, with how to change it.
describe('Settings in a browser shows the editor read-only (fleet serve, Chromium)', () => {
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-data-'));
    const set = spawnSync(process.execPath, [path.join(repoRoot, 'bin/fleet.js'), 'settings', 'editor', 'code', '--goto', '{file}:{line}'], {
      env: { ...process.env, FLEET_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(set.status, set.stderr).toBe(0);
    serve = await startServe({ flake: path.join(repoRoot, 'flake'), dataDir });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    errors = collectPageErrors(page);
    await page.goto(serve.url);
    await page.goto(`${serve.origin}/#/settings`);
  });
  afterAll(async () => {
    await browser?.close();
    await serve?.close();
  });

  it('shows the editor as text with no input, and says where to change it', async () => {
    await page.getByTestId('settings-screen').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('editor-readonly').textContent()).toBe('code --goto {file}:{line}');
    expect(await page.getByTestId('editor-input').count()).toBe(0);
    expect(await page.getByTestId('settings-screen').textContent()).toContain('fleet settings editor');
    const shots = await screenshotBothThemes(page, 'settings-editor-read-only');
    expect(shots).toHaveLength(2);
    expect(errors).toEqual([]);
  });
});
