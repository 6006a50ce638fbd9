import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { screenshotBothThemes } from './browser';
import { openLabUi, type LabUi } from './lab-ui';
import type { DeployWorld } from '../integration/deploy-world';

const row = (page: Page, name: string): Locator => page.locator(`[data-testid="inventory-row"][data-name="${name}"]`);
const dot = (page: Page, name: string) => row(page, name).getByTestId('host-dot').getAttribute('data-online');
const freshness = (page: Page, name: string) =>
  row(page, name)
    .getByTestId('host-freshness')
    .getAttribute('data-state', { timeout: 500 })
    .catch(() => null);
const listDeploy = (page: Page) => page.locator('[data-testid="inventory-systems"] .inv-counts-row [data-testid="deploy-button"]');
const checking = (page: Page, name: string) => row(page, name).getByTestId('host-status').getAttribute('data-checking');

describe('fleet status in the Systems list (lab hosts, fleet serve, Chromium)', () => {
  let ui: LabUi | undefined;
  let world: DeployWorld;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    // The example homelab's other systems have no lab host: they read as offline at once.
    ui = await openLabUi({ names: ['moonlight', 'zephyrus'], route: '#/systems', offline: ['lg-laptop', 'docker-node'], viewport: { width: 1280, height: 860 } });
    ({ world, page, errors } = ui);
  });
  afterAll(async () => {
    await ui?.close();
  });

  it('"Check hosts": moonlight online and out of date, hosts without a machine offline with the reason', async () => {
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    // Nothing is probed before the person asks once.
    await page.waitForTimeout(500);
    expect(await dot(page, 'moonlight')).toBe('unknown');
    expect(await row(page, 'moonlight').getByTestId('host-dot').getAttribute('title')).toBe('Not checked yet');
    await page.getByTestId('hosts-check').click();
    await expect.poll(() => dot(page, 'moonlight'), { timeout: 30_000 }).toBe('yes');
    expect(await dot(page, 'zephyrus')).toBe('yes');
    await expect.poll(() => dot(page, 'lg-laptop'), { timeout: 30_000 }).toBe('no');
    expect(await row(page, 'lg-laptop').getByTestId('host-dot').getAttribute('title')).toMatch(/^Offline: .*(refused|ECONNREFUSED)/i);
    // A lab host runs its boot system, not what the checkout builds.
    await expect.poll(() => freshness(page, 'moonlight'), { timeout: 30_000 }).toBe('out-of-date');
    expect(await checking(page, 'moonlight')).toBe('no');
    // Nothing picked: the header offers the online hosts that are out of date.
    await expect.poll(() => listDeploy(page).getAttribute('data-targets')).toBe('moonlight zephyrus');
    expect(await listDeploy(page).textContent()).toBe('Deploy 2 out of date');
    await row(page, 'moonlight').click();
    const block = page.getByTestId('host-status-block');
    await expect.poll(() => block.getAttribute('data-online')).toBe('yes');
    expect(await block.getByTestId('host-state').textContent()).toBe('online');
    await screenshotBothThemes(page, 'fleet-status-before');
  });

  it('checks by itself on the next opening, once asked before', async () => {
    await page.reload();
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    await expect.poll(() => dot(page, 'moonlight'), { timeout: 30_000 }).toBe('yes');
    await expect.poll(() => freshness(page, 'moonlight'), { timeout: 30_000 }).toBe('out-of-date');
  });

  it('shows "checking…" per row while a check runs, without hiding what is known', async () => {
    await page.getByTestId('hosts-check').click();
    // The state flips on the click; the answer needs SSH round trips and a nix evaluation.
    expect(await checking(page, 'moonlight')).toBe('yes');
    expect(await dot(page, 'moonlight')).toBe('yes');
    await expect.poll(() => checking(page, 'moonlight'), { timeout: 30_000 }).toBe('no');
    await expect.poll(() => page.getByTestId('hosts-check').isEnabled()).toBe(true);
  });

  it('deploys moonlight picked in the list; then it is up to date with generation 1 and the last deploy succeeded', async () => {
    await row(page, 'moonlight').getByTestId('inventory-pick').click();
    expect(await page.getByTestId('inventory-picked').textContent()).toContain('1 picked');
    const deploy = listDeploy(page);
    expect(await deploy.getAttribute('data-targets')).toBe('moonlight');
    expect(await deploy.textContent()).toBe('Deploy 1');
    await screenshotBothThemes(page, 'fleet-status-picked');
    await deploy.click();
    const sheet = page.getByTestId('deploy-sheet');
    await expect.poll(() => sheet.getByTestId('deploy-sheet-host').count(), { timeout: 30_000 }).toBe(1);
    expect(await sheet.textContent()).toContain('Deploy moonlight');
    await screenshotBothThemes(page, 'fleet-status-sheet');
    await sheet.getByTestId('deploy-confirm').click();
    await page.getByTestId('deploy-view').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('deploy-view').getAttribute('data-status'), { timeout: 90_000 }).toBe('succeeded');
    const jobId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
    expect(jobId).not.toBe('');

    await page.getByTestId('nav-systems').click();
    await expect.poll(() => freshness(page, 'moonlight'), { timeout: 30_000 }).toBe('up-to-date');
    expect(await row(page, 'moonlight').getByTestId('host-facts').textContent()).toMatch(/^gen 1 · [0-9a-f]{7} · $/);
    expect(await row(page, 'moonlight').getByTestId('host-last-deploy').getAttribute('data-status')).toBe('succeeded');
    // zephyrus was not deployed: still out of date.
    expect(await freshness(page, 'zephyrus')).toBe('out-of-date');
    expect(await listDeploy(page).getAttribute('data-targets')).toBe('zephyrus');

    await row(page, 'moonlight').click();
    const detail = page.getByTestId('system-detail');
    await expect.poll(() => detail.getByTestId('host-generation').textContent()).toBe('1');
    const head = world.git('rev-parse', 'HEAD').trim();
    expect(await detail.getByTestId('host-revision').getAttribute('title')).toBe(head);
    expect(await detail.getByTestId('host-behind').textContent()).toContain('at HEAD');
    await expect.poll(() => detail.getByTestId('last-deploy').getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    expect(await detail.getByTestId('last-deploy-link').getAttribute('href')).toBe(`#/deploys/${encodeURIComponent(jobId)}`);
    await screenshotBothThemes(page, 'fleet-status-deployed');
  });

  it('counts the commits a host is behind HEAD after a new commit', async () => {
    world.edit('README.md', '', 'A note.\n');
    await page.getByTestId('host-check').click();
    await expect.poll(async () => (await page.getByTestId('host-behind').textContent()) ?? '', { timeout: 30_000 }).toContain('1 commit behind HEAD');
  });

  it('shows a host whose network is cut as offline, with the reason', async () => {
    await world.lab.host('zephyrus').cutNetwork();
    await page.getByTestId('hosts-check').click();
    await expect.poll(() => dot(page, 'zephyrus'), { timeout: 40_000 }).toBe('no');
    const title = (await row(page, 'zephyrus').getByTestId('host-dot').getAttribute('title')) ?? '';
    expect(title).toMatch(/^Offline: ./);
    await row(page, 'zephyrus').click();
    const block = page.getByTestId('host-status-block');
    await expect.poll(() => block.getAttribute('data-online')).toBe('no');
    expect(((await block.getByTestId('host-error').textContent()) ?? '').length).toBeGreaterThan(5);
    await screenshotBothThemes(page, 'fleet-status-offline');
    // moonlight keeps its state.
    expect(await dot(page, 'moonlight')).toBe('yes');
  });

  it('"Build" in the detail pane starts a build of that system and follows it on the Builds screen', async () => {
    await page.getByTestId('system-build').click();
    await page.getByTestId('builds-screen').waitFor({ timeout: 30_000 });
    expect(page.url()).toMatch(/#\/builds\/[^/]+$/);
    const panel = page.getByTestId('job-panel').first();
    await expect.poll(async () => (await panel.textContent()) ?? '', { timeout: 30_000 }).toContain('zephyrus');
    await expect.poll(() => page.getByTestId('job-status').first().textContent(), { timeout: 90_000 }).toBe('succeeded');
    expect(errors).toEqual([]);
  });
});
