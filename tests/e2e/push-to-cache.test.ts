import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { joinLan } from '../harness/hosts/index.js';
import { makeCacheKey, startAgent, type CacheKey } from '../integration/cache-world';
import { screenshotBothThemes } from './browser';
import { openLabUi, type LabUi } from './lab-ui';
import { startServe, type ServeHandle } from './serve-helper';

// "Push to cache" on the Builds screen, in Chromium through `fleet serve`: zephyrus builds
// here and tv-box on its build host moonlight (its meta.json). Without a binary cache the card
// says so and points to Settings; with the lab host "cache" as the homelab's cache (ssh://cache,
// set through the core: cache.set is for the person at the desktop, a browser may not set it),
// the card offers one push per store: from this computer, and from moonlight. Each push runs as
// a job shown like every other, and the cache then holds both closures, signed with its key.

const storePathIn = (text: string | null): string => {
  const found = /\/nix\/store\/[0-9a-z]{32}-[A-Za-z0-9+._?=-]+/.exec(text ?? '');
  if (!found) throw new Error(`no store path in ${JSON.stringify(text)}`);
  return found[0];
};

describe('push to the binary cache from the Builds screen', () => {
  let ui: LabUi | undefined;
  let page: Page;
  let key: CacheKey;
  let stopAgent: (() => void) | undefined;
  let serve: ServeHandle | undefined;

  beforeAll(async () => {
    ui = await openLabUi({
      names: ['moonlight', 'tv-box', 'zephyrus', 'cache'],
      route: '#/builds',
      viewport: { width: 1280, height: 1000 },
      shareDataDir: true,
      prepare: async (world) => {
        await joinLan(world.lab.record);
        key = makeCacheKey(world);
        stopAgent = startAgent(world);
        // New closures, so the cache cannot already hold them.
        const marker = randomBytes(6).toString('hex');
        world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', `networking.hostName = "zephyrus";\n  environment.etc."ui-push".text = "${marker}";`);
        world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."ui-push".text = "${marker}";`);
      },
    });
    ({ page } = ui);
  }, 300_000);
  afterAll(async () => {
    await serve?.close();
    stopAgent?.();
    await ui?.close();
  });

  const buildBoth = async () => {
    await page.getByTestId('pick-system:zephyrus').click();
    await page.getByTestId('pick-system:tv-box').click();
    const before = await page.getByTestId('builds-item').count();
    await page.getByTestId('build-start').click();
    // The new build is selected (its id in the address) once the core has started it.
    await expect.poll(() => page.getByTestId('builds-item').count(), { timeout: 30_000 }).toBe(before + 1);
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: 30_000 }).toMatch(/^#\/builds\/.+/);
    const jobId = decodeURIComponent((await page.evaluate(() => location.hash)).replace('#/builds/', ''));
    const panel = page.locator('.builds-detail > [data-testid="job-panel"]');
    await expect.poll(() => panel.getAttribute('data-status'), { timeout: 400_000, interval: 1000 }).toBe('succeeded');
    await expect.poll(() => page.getByTestId('push-card').getAttribute('data-job-id'), { timeout: 30_000 }).toBe(jobId);
  };

  it('without a binary cache the card says so and points to Settings, with no push button', async () => {
    await page.getByTestId('builds-screen').waitFor({ timeout: 30_000 });
    await buildBoth();
    const card = page.getByTestId('push-card');
    await expect.poll(() => card.getAttribute('data-cache'), { timeout: 30_000 }).toBe('none');
    expect(await card.getByTestId('push-no-cache').textContent()).toContain('This homelab has no binary cache.');
    expect(await card.getByTestId('push-settings-link').getAttribute('href')).toBe('#/settings');
    expect(await card.getByTestId('push-to-cache').count()).toBe(0);
    await screenshotBothThemes(page, 'builds-push-no-cache');
    expect(ui!.errors).toEqual([]);
  }, 500_000);

  it('with ssh://cache set: one push from this computer and one from moonlight, run as jobs; the cache then holds both closures, signed', async () => {
    const world = ui!.world;
    await world.core().invoke('cache.set', { url: 'ssh://cache', secretKeyFile: key.secretKeyFile });
    // `fleet serve` read its settings at start: a new one on the same data folder knows the cache.
    serve = await startServe({
      flake: world.checkout,
      dataDir: world.dataDir,
      env: {
        HOME: world.home,
        FLEET_NIX_OPTIONS: 'substituters=',
        ...(world.env.FLEET_NIX ? { FLEET_NIX: world.env.FLEET_NIX } : {}),
        ...(world.env.SSH_AUTH_SOCK ? { SSH_AUTH_SOCK: world.env.SSH_AUTH_SOCK } : {}),
      },
    });
    await page.goto(`${serve.url}#/builds`);
    await page.getByTestId('builds-screen').waitFor({ timeout: 30_000 });
    await buildBoth();

    const card = page.getByTestId('push-card');
    // The routes show once cache.get has answered.
    await expect.poll(() => card.getAttribute('data-cache'), { timeout: 30_000 }).toBe('set');
    expect(await card.getByTestId('push-cache-url').textContent()).toBe('ssh://cache');
    const group = (where: string) => card.locator(`[data-testid="push-group"][data-build-host="${where}"]`);
    await expect.poll(() => group('here').getByTestId('push-route').textContent(), { timeout: 30_000 }).toBe('from this computer to ssh://cache');
    expect(await group('moonlight').getByTestId('push-route').textContent()).toBe('from moonlight to ssh://cache');
    expect(await card.getByTestId('push-group').count()).toBe(2);
    await screenshotBothThemes(page, 'builds-push-before');

    const outPath = async (target: string) =>
      storePathIn(await page.locator(`.builds-detail > [data-testid="job-panel"] [data-testid="job-target"][data-target="${target}"] [data-testid="job-outpath"]`).textContent());
    const zephyrus = await outPath('zephyrus');
    const tvBox = await outPath('tv-box');
    const cache = world.lab.host('cache');
    expect((await cache.exec(['nix-store', '--check-validity', zephyrus])).code).not.toBe(0);
    expect((await cache.exec(['nix-store', '--check-validity', tvBox])).code).not.toBe(0);

    for (const where of ['here', 'moonlight']) {
      await group(where).getByTestId('push-to-cache').click();
      const job = group(where).locator('[data-testid="push-job"] [data-testid="job-panel"]');
      await expect.poll(() => job.getAttribute('data-status'), { timeout: 300_000, interval: 1000 }).toBe('succeeded');
      await expect.poll(() => group(where).getByTestId('push-to-cache').textContent(), { timeout: 30_000 }).toBe('Push again');
      expect(await job.locator('.job-title').textContent()).toBe(`Push 1 path${where === 'here' ? '' : ' from moonlight'} to ssh://cache`);
    }
    // Each push is a job of its own on the Builds screen's list.
    expect(await page.locator('[data-testid="builds-item"]', { hasText: 'to ssh://cache' }).count()).toBe(2);
    await group('moonlight').scrollIntoViewIfNeeded();
    await screenshotBothThemes(page, 'builds-push-after');

    for (const path of [zephyrus, tvBox]) {
      expect((await cache.exec(['nix-store', '--check-validity', path])).code).toBe(0);
      const verified = await cache.exec(['nix', '--extra-experimental-features', 'nix-command', 'store', 'verify', '--no-contents', '--recursive', '--trusted-public-keys', key.publicKey, path]);
      expect(verified.code, verified.stderr).toBe(0);
    }
    expect(ui!.errors).toEqual([]);
  }, 900_000);
});
