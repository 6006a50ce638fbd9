import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { joinLan } from '../harness/hosts/index.js';
import { makeCacheKey, startAgent, trustCache } from '../integration/cache-world';
import { screenshotBothThemes } from './browser';
import { openLabUi, type LabUi } from './lab-ui';

// Build host and binary cache in the UI, on lab hosts: tv-box builds on moonlight (its
// meta.json), the lab host "cache" serves ssh://cache, zephyrus and tv-box trust its key, and
// zephyrus's system is pushed there before `fleet serve` starts. The host detail and the
// deploy sheet say where each closure would come from; the deploy view where it did; the
// Settings screen shows the cache and which hosts trust it; a build job says where it built (here, or
// on moonlight for tv-box).

const nixFlags = ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', ''];
const row = (page: Page, name: string): Locator => page.locator(`[data-testid="inventory-row"][data-name="${name}"]`);

describe('build host and binary cache in the UI', () => {
  let ui: LabUi | undefined;
  let page: Page;
  let stopAgent: (() => void) | undefined;

  beforeAll(async () => {
    ui = await openLabUi({
      names: ['moonlight', 'tv-box', 'zephyrus', 'cache'],
      route: '#/systems',
      viewport: { width: 1280, height: 1000 },
      shareDataDir: true,
      prepare: async (world) => {
        await joinLan(world.lab.record);
        const key = makeCacheKey(world);
        await trustCache(world, ['zephyrus', 'tv-box'], key.publicKey);
        stopAgent = startAgent(world);
        world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', `networking.hostName = "zephyrus";\n  environment.etc."ui-cache".text = "${randomBytes(6).toString('hex')}";`);
        const built = JSON.parse(
          execFileSync('nix', [...nixFlags, 'build', '--json', '--no-link', '.#nixosConfigurations.zephyrus.config.system.build.toplevel'], { cwd: world.checkout, env: world.env, encoding: 'utf8' }),
        ) as { outputs: { out: string } }[];
        const core = world.core();
        await core.invoke('cache.set', { url: 'ssh://cache', secretKeyFile: key.secretKeyFile });
        const { jobId } = (await core.invoke('cache.push', { paths: [built[0]!.outputs.out] })) as { jobId: string };
        expect((await core.context.jobs.wait(jobId)).status).toBe('succeeded');
      },
    });
    ({ page } = ui);
  }, 300_000);
  afterAll(async () => {
    stopAgent?.();
    await ui?.close();
  });

  it('the host detail says where the system builds and, when asked, where its closure would come from', async () => {
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    await row(page, 'tv-box').click();
    expect(await page.getByTestId('system-built-on').textContent()).toBe('builds on moonlight, which copies the closure to the host');
    await page.getByTestId('system-sources').click();
    const source = page.locator('[data-testid="system-detail"] [data-testid="deploy-source"][data-target="tv-box"]');
    await source.waitFor({ timeout: 60_000 });
    expect(await source.getAttribute('data-built-on')).toBe('moonlight');
    expect(await source.getAttribute('data-source')).toBe('moonlight');
    expect(await source.getByTestId('sources-trust').getAttribute('data-trusts')).toBe('yes');
    expect(await source.getByTestId('source-summary').textContent()).toContain('not built yet: built on moonlight at deploy time');
    await source.scrollIntoViewIfNeeded();
    await screenshotBothThemes(page, 'buildhost-system-detail');
  });

  it('the deploy sheet shows each host: trust, and what comes from the cache, the build host or here; the deploy view where it came from', async () => {
    await row(page, 'zephyrus').getByTestId('inventory-pick').click();
    await row(page, 'tv-box').getByTestId('inventory-pick').click();
    await page.locator('.inv-counts-row [data-testid="deploy-button"]').click();
    const sheet = page.getByTestId('deploy-sheet');
    const zephyrus = sheet.locator('[data-testid="deploy-source"][data-target="zephyrus"]');
    await zephyrus.waitFor({ timeout: 60_000 });
    expect(await zephyrus.getAttribute('data-source')).toBe('cache');
    expect(Number(await zephyrus.getByTestId('source-cache').getAttribute('data-paths'))).toBeGreaterThan(0);
    expect(await zephyrus.getByTestId('source-here').getAttribute('data-paths')).toBe('0');
    expect(await sheet.locator('[data-testid="deploy-source"][data-target="tv-box"]').getAttribute('data-source')).toBe('moonlight');
    // “What changes” of tv-box is built and listed on moonlight, not here.
    const tvBoxDiff = sheet.locator('[data-testid="deploy-diff-host"][data-target="tv-box"]');
    await expect.poll(() => tvBoxDiff.getAttribute('data-state'), { timeout: 180_000 }).not.toBe('running');
    expect(await tvBoxDiff.getByTestId('deploy-diff-built-on').textContent()).toBe('built on moonlight');
    await sheet.getByTestId('deploy-sources').scrollIntoViewIfNeeded();
    await screenshotBothThemes(page, 'buildhost-deploy-sheet');
    await sheet.getByTestId('deploy-confirm').click();
    const view = page.getByTestId('deploy-view');
    await view.waitFor({ timeout: 30_000 });
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 240_000 }).toBe('succeeded');
    const where = (t: string) => view.locator(`[data-testid="deploy-host-row"][data-target="${t}"] [data-testid="deploy-host-built-on"]`).textContent();
    expect(await where('zephyrus')).toMatch(/^built here · .+ fetched from the cache$/);
    expect(await where('tv-box')).toMatch(/^built on moonlight · .+ fetched from the cache · the rest sent by moonlight$/);
    await screenshotBothThemes(page, 'buildhost-deploy-view');
  });

  it('Settings shows the cache, the key hosts must trust, and which hosts do (read-only in a browser)', async () => {
    await page.goto(`${ui!.serve.url}#/settings`);
    const setting = page.getByTestId('cache-setting');
    await expect.poll(() => setting.getAttribute('data-set'), { timeout: 30_000 }).toBe('yes');
    expect(await page.getByTestId('cache-url-readonly').textContent()).toBe('ssh://cache');
    expect(await page.getByTestId('cache-public-key').textContent()).toMatch(/^fleet-test-cache-1:/);
    await page.getByTestId('cache-trust-read').click();
    const trusts = (t: string) => page.locator(`[data-testid="cache-trust-host"][data-target="${t}"]`).getAttribute('data-trusts');
    await expect.poll(() => trusts('zephyrus'), { timeout: 60_000 }).toBe('yes');
    expect(await trusts('tv-box')).toBe('yes');
    expect(await trusts('moonlight')).toBe('no');
    await page.getByTestId('cache-trust').scrollIntoViewIfNeeded();
    await screenshotBothThemes(page, 'cache-settings');
  });

  it('a build job says where each target is built', async () => {
    await page.goto(`${ui!.serve.url}#/systems`);
    await row(page, 'zephyrus').click();
    await page.getByTestId('system-build').click();
    const built = page.locator('[data-testid="job-target"][data-target="zephyrus"] [data-testid="job-target-built-on"]');
    await built.waitFor({ timeout: 60_000 });
    expect(await built.textContent()).toBe('built here');
    await expect.poll(() => page.getByTestId('job-panel').getAttribute('data-status'), { timeout: 120_000 }).toBe('succeeded');
    await screenshotBothThemes(page, 'builds-built-here');
  });

  it('a build job of tv-box runs on its build host moonlight, and says so', async () => {
    await page.goto(`${ui!.serve.url}#/systems`);
    await row(page, 'tv-box').click();
    await page.getByTestId('system-build').click();
    const built = page.locator('[data-testid="job-target"][data-target="tv-box"] [data-testid="job-target-built-on"]');
    await built.waitFor({ timeout: 60_000 });
    expect(await built.textContent()).toBe('built on moonlight');
    await expect.poll(() => page.getByTestId('job-panel').getAttribute('data-status'), { timeout: 180_000 }).toBe('succeeded');
    expect(await page.locator('[data-testid="job-target"][data-target="tv-box"] [data-testid="job-outpath"]').textContent()).toMatch(/nixos-system-tv-box.* · closure /);
    await screenshotBothThemes(page, 'builds-built-on-moonlight');
    expect(ui!.errors).toEqual([]);
  });
});
