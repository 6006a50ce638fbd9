import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { screenshotBothThemes } from './browser';
import { openCheckoutUi, type CheckoutUi } from './lab-ui';
import type { ServeHandle } from './serve-helper';
import { copyHomelab } from '../integration/build-homelab';

const rowNames = (page: Page) => page.getByTestId('inventory-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));

describe('Add system / home / droid dialogs in Chromium against fleet serve', () => {
  let ui: CheckoutUi | undefined;
  let serve: ServeHandle;
  let page: Page;
  let errors: string[];
  let homelab: string;

  beforeAll(async () => {
    homelab = copyHomelab();
    ui = await openCheckoutUi({ flake: homelab, viewport: { width: 1280, height: 800 } });
    ({ serve, page, errors } = ui);
  });
  afterAll(async () => {
    await ui?.close();
  });

  it('adds a system: the name is checked while typing, the new row is in the flake, the files are staged', async () => {
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('flake-status').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
    await page.getByTestId('add-system').click();
    const sheet = page.getByTestId('add-sheet');
    await sheet.waitFor();
    await page.getByTestId('add-name').fill('docker-node');
    expect(await page.getByTestId('add-name-problem').textContent()).toContain('already a system named docker-node');
    expect(await page.getByTestId('add-confirm').isDisabled()).toBe(true);
    await page.getByTestId('add-name').fill('web-01');
    await page.getByTestId('add-host').fill('10.0.0.5');
    await page.getByTestId('add-user').fill('root');
    await page.getByTestId('add-tags').fill('web, lab');
    await screenshotBothThemes(page, 'add-system-dialog');
    await page.getByTestId('add-confirm').click();
    await page.getByTestId('add-sheet-done').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('add-sheet-flake').textContent()).toContain('nixosConfigurations.web-01.config.system.build.toplevel');
    await screenshotBothThemes(page, 'add-system-done');
    await page.getByTestId('add-sheet-close').click();
    await expect.poll(() => rowNames(page)).toContain('web-01');
    await expect
      .poll(() => page.locator('[data-testid="inventory-row"][data-name="web-01"] [data-flake]').getAttribute('data-flake'), { timeout: 30_000 })
      .toBe('discovered-and-in-flake');
    const staged = execFileSync('git', ['diff', '--cached', '--name-only'], { cwd: homelab, encoding: 'utf8' });
    expect(staged).toBe('systems/web-01/default.nix\nsystems/web-01/meta.json\n');
    expect(JSON.parse(fs.readFileSync(path.join(homelab, 'systems/web-01/meta.json'), 'utf8')).deploy).toEqual({ tags: ['web', 'lab'], host: '10.0.0.5', user: 'root' });
  });

  it('shows why the core refused, and leaves nothing behind', async () => {
    // A template nix cannot evaluate: the core rolls the add back and the sheet says why.
    fs.mkdirSync(path.join(homelab, 'templates/broken/systems/new-host'), { recursive: true });
    fs.writeFileSync(path.join(homelab, 'templates/broken/systems/new-host/default.nix'), '{ ... }: { this is not nix');
    execFileSync('git', ['add', 'templates/broken'], { cwd: homelab });
    await page.reload();
    await page.getByTestId('add-system').click();
    await page.getByTestId('add-name').fill('half');
    await page.getByTestId('add-template').selectOption('broken');
    await page.getByTestId('add-confirm').click();
    const error = page.getByTestId('add-sheet-error');
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toMatch(/does not evaluate[\s\S]*Nothing was added/);
    await screenshotBothThemes(page, 'add-system-refused');
    expect(fs.existsSync(path.join(homelab, 'systems/half'))).toBe(false);
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('adds a home for one system and a droid from their screens', async () => {
    await page.goto(`${serve.url}#/homes`);
    await page.getByTestId('inventory-homes').waitFor({ timeout: 30_000 });
    await page.getByTestId('add-home').click();
    await page.getByTestId('add-name').fill('soriphoono');
    await page.getByTestId('add-scope').selectOption('web-01');
    await screenshotBothThemes(page, 'add-home-dialog');
    await page.getByTestId('add-confirm').click();
    await page.getByTestId('add-sheet-done').waitFor({ timeout: 60_000 });
    await page.getByTestId('add-sheet-close').click();
    // The Homes screen lists users; the user's detail lists the folders, the new one among them.
    await page.locator('[data-testid="inventory-row"][data-name="soriphoono"]').click();
    await expect.poll(() => page.getByTestId('inventory-detail').textContent()).toContain('homes/soriphoono@web-01');
    expect(fs.existsSync(path.join(homelab, 'homes/soriphoono@web-01/default.nix'))).toBe(true);

    await page.goto(`${serve.url}#/droids`);
    await page.getByTestId('inventory-droids').waitFor({ timeout: 30_000 });
    await page.getByTestId('add-droid').click();
    await page.getByTestId('add-name').fill('pixel');
    expect(await page.getByTestId('add-arch').inputValue()).toBe('aarch64-linux');
    await screenshotBothThemes(page, 'add-droid-dialog');
    await page.getByTestId('add-confirm').click();
    await page.getByTestId('add-sheet-done').waitFor({ timeout: 60_000 });
    await page.getByTestId('add-sheet-close').click();
    await expect.poll(() => rowNames(page)).toContain('pixel');
    expect(fs.existsSync(path.join(homelab, 'droids/pixel/meta.json'))).toBe(true);
    expect(errors.filter((e) => !/WebSocket|adb/i.test(e))).toEqual([]);
  });
});
