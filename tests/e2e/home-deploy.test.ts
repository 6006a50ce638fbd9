import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServe, type ServeHandle } from './serve-helper';
import { collectPageErrors, launchBrowser, screenshotBothThemes } from './browser';
import { startDeployWorld, type DeployWorld } from '../integration/deploy-world';

describe('deploying a standalone home from the Homes screen (lab host, fleet serve, Chromium)', () => {
  let world: DeployWorld;
  let serve: ServeHandle;
  let browser: Browser;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus'] });
    // Systems without a lab host point at a closed loopback port: nothing is looked up off this machine.
    fs.appendFileSync(path.join(world.home, '.ssh', 'config'), '\nHost lg-laptop docker-node moonlight\n  HostName 127.0.0.1\n  Port 9\n');
    serve = await startServe({ flake: world.checkout, env: { HOME: world.home, FLEET_NIX_OPTIONS: 'substituters=' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await serve?.close();
    await world?.stop();
  });

  it('deploys home:soriphoono@zephyrus logged in as another user, set in the deploy sheet', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${serve.url}#/homes`);
    await page.getByTestId('home-detail').waitFor({ timeout: 30_000 });
    await page.getByTestId('home-deploy-host').fill('zephyrus');
    await page.getByTestId('home-deploy').getByTestId('deploy-button').click();
    const sheet = page.getByTestId('deploy-sheet');
    await sheet.waitFor();
    await page.getByTestId('deploy-as-user').fill('deploy');
    await page.getByTestId('deploy-as-user').blur();
    // The pre-flight runs again as that user; then the sheet can deploy.
    await expect.poll(() => page.getByTestId('deploy-confirm').isEnabled(), { timeout: 30_000 }).toBe(true);
    await screenshotBothThemes(page, 'home-deploy-sheet');
    await page.getByTestId('deploy-confirm').click();
    await page.getByTestId('deploy-view').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('deploy-view').getAttribute('data-status'), { timeout: 90_000 }).toBe('succeeded');
    // The home landed in the login user's home on the host.
    const state = await world.lab.host('zephyrus').exec(['ls', '/home/deploy/.local/state/home-manager']);
    expect(state.code).toBe(0);
    await screenshotBothThemes(page, 'home-deploy-done');
    expect(errors).toEqual([]);
    await context.close();
  });
});
