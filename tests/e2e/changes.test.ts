import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { screenshotBothThemes } from './browser';
import { openCheckoutUi, type CheckoutUi } from './lab-ui';
import { copyHomelab } from '../integration/build-homelab';

/** A committed copy of the example homelab with the edits a user makes before a deploy. */
function editedHomelab(): string {
  const dir = copyHomelab((d) => {
    fs.writeFileSync(path.join(d, 'notes.bin'), Buffer.from([0, 1, 2, 3, 255, 0, 7]));
    fs.writeFileSync(path.join(d, 'big.json'), '[]\n');
    // Point moonlight at a closed loopback port: the test never leaves this machine, and the
    // "running host" side of the closure diff is unreachable on purpose.
    fs.writeFileSync(path.join(d, 'systems/moonlight/meta.json'), JSON.stringify({ system: 'x86_64-linux', deploy: { host: '127.0.0.1', port: 9, tags: ['server'] } }));
  });
  const host = path.join(dir, 'systems/moonlight/default.nix');
  fs.writeFileSync(host, fs.readFileSync(host, 'utf8').replace('programs.fish.version = "3.7.1";', 'programs.fish.version = "3.7.2";'));
  fs.writeFileSync(path.join(dir, 'notes.bin'), Buffer.from([0, 9, 9, 9, 255, 0, 7]));
  // A 10 MB diff: the viewer must stay responsive and say it is cut.
  const line = JSON.stringify({ name: 'x'.repeat(80), value: 'y'.repeat(80) });
  fs.writeFileSync(path.join(dir, 'big.json'), `[\n${Array.from({ length: 60_000 }, () => line).join(',\n')}\n]\n`);
  return dir;
}

describe('the Changes screen in Chromium against fleet serve', () => {
  let ui: CheckoutUi | undefined;
  let page: Page;
  let errors: string[];
  let homelab: string;

  beforeAll(async () => {
    homelab = editedHomelab();
    ui = await openCheckoutUi({ flake: homelab, env: { FLEET_NIX_OPTIONS: 'substituters=' }, route: '#/changes', viewport: { width: 1360, height: 860 } });
    ({ page, errors } = ui);
  });
  afterAll(async () => {
    await ui?.close();
    if (homelab) fs.rmSync(homelab, { recursive: true, force: true });
  });

  it('lists the changed files and shows the host edit as a highlighted diff', async () => {
    await page.getByTestId('changes-screen').waitFor({ timeout: 30_000 });
    const files = page.locator('.chg-file');
    await expect.poll(() => files.evaluateAll((els) => els.map((e) => e.getAttribute('title')))).toEqual(
      expect.arrayContaining(['systems/moonlight/default.nix', 'notes.bin', 'big.json']),
    );
    await page.locator('.chg-file[title="systems/moonlight/default.nix"]').click();
    await page.locator('.diff-code-insert', { hasText: '3.7.2' }).first().waitFor();
    await expect(page.locator('.diffv .token.string').count()).resolves.toBeGreaterThan(0);
    await screenshotBothThemes(page, 'changes-diff');
    await page.getByRole('button', { name: 'Side by side' }).click();
    await page.locator('.diff-split').first().waitFor();
    await screenshotBothThemes(page, 'changes-diff-split');
    await page.getByRole('button', { name: 'Unified' }).click();
  });

  it('shows a binary file as binary and cuts a 10 MB diff with a size warning', async () => {
    await page.locator('.chg-file[title="notes.bin"]').click();
    await page.getByTestId('diff-binary').waitFor();
    const started = Date.now();
    await page.locator('.chg-file[title="big.json"]').click();
    await page.getByTestId('diff-truncated').waitFor({ timeout: 60_000 });
    const shownMs = Date.now() - started;
    process.stdout.write(`10 MB diff: warning and first part shown in ${shownMs} ms\n`);
    await expect(page.getByTestId('diff-truncated').textContent()).resolves.toMatch(/This diff is 1\d(\.\d)? MiB; only the first 512 KiB are shown/);
    await screenshotBothThemes(page, 'changes-huge-diff');
  });

  it('lists the affected machines, confirmed by evaluation: moonlight changed, zephyrus not touched', async () => {
    await page.getByRole('tab', { name: /Machines/ }).click();
    const panel = page.getByTestId('affected-panel');
    await panel.waitFor();
    await panel.getByText('confirmed by evaluation').waitFor({ timeout: 60_000 });
    await expect(panel.locator('[data-machine="system:moonlight"] .badge').textContent()).resolves.toBe('confirmed changed');
    await expect(panel.locator('[data-machine="system:zephyrus"]').count()).resolves.toBe(0);
    await screenshotBothThemes(page, 'changes-machines');
  });

  it('diffs moonlight\'s closure against HEAD: fish 3.7.1 -> 3.7.2, with the size chart', async () => {
    await page.locator('[data-machine="system:moonlight"]').getByRole('button', { name: 'Closure diff' }).click();
    const panel = page.getByTestId('closure-panel');
    await panel.waitFor();
    // The host of this checkout is not reachable here: the diff against it is "unknown", not an error.
    await panel.getByTestId('closure-unknown').waitFor({ timeout: 120_000 });
    await panel.getByRole('button', { name: 'Against HEAD' }).click();
    await panel.locator('tr', { hasText: 'fish' }).waitFor({ timeout: 120_000 });
    await expect(panel.locator('tr', { hasText: 'fish' }).textContent()).resolves.toMatch(/upgraded.*3\.7\.1 → 3\.7\.2/);
    await panel.locator('svg.closure-chart').waitFor();
    await screenshotBothThemes(page, 'changes-closure');
  });

  it('shows flake inputs and a clean page (no CSP or console errors)', async () => {
    await page.getByRole('tab', { name: 'Flake inputs' }).click();
    await page.getByTestId('lock-panel').getByText('No input changed since HEAD.').waitFor();
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });

  it('"Build all changed" builds the confirmed machines and shows the build', async () => {
    await page.getByRole('tab', { name: /Machines/ }).click();
    const button = page.getByRole('button', { name: 'Build all changed (1)' });
    await expect(button.getAttribute('title')).resolves.toBe('moonlight');
    await button.click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/builds');
  });
});
