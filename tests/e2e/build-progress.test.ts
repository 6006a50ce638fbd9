import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, launchBrowser, screenshotBothThemes } from './browser';
import { startServe, type ServeHandle } from './serve-helper';
import { bumpKernel, copyHomelab, processesMatching, testEnv, withMoonlightPackage } from '../integration/build-homelab';

// The Builds screen in Chromium against the real `fleet serve` and real nix builds.
describe('building from the UI', () => {
  let root: string;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dataDir: string;

  beforeAll(async () => {
    root = copyHomelab(bumpKernel);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-builds-'));
    serve = await startServe({ flake: root, dataDir, env: { FLEET_NIX_OPTIONS: testEnv.FLEET_NIX_OPTIONS } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    errors = collectPageErrors(page);
    await page.goto(serve.url);
    await page.getByTestId('nav-builds').click();
    await page.getByTestId('builds-screen').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await serve?.close();
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts a build, shows progress reaching 100% and opens the log', async () => {
    await expect(page.getByTestId('nix-version').textContent()).resolves.toMatch(/Nix 2\./);
    // One derivation keeps building until the test has seen it in the list: a list of running
    // derivations sampled every 50 ms cannot be relied on to catch builds of a few ms each.
    const file = `${root}/systems/moonlight/default.nix`;
    const text = fs.readFileSync(file, 'utf8');
    // The builder runs as a build user: the gate's folder is readable by everyone.
    const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-gate-'));
    fs.chmodSync(gateDir, 0o755);
    const gate = path.join(gateDir, 'seen-running');
    fs.writeFileSync(
      file,
      withMoonlightPackage(text, 'firmware-blobs-1.0', [
        'phase unpackPhase',
        'i=0',
        `while [ ! -e ${gate} ]; do`,
        `  i=$((i + 1)); [ "$i" -lt 1200 ] || { echo "nobody opened ${gate} in 120 s" >&2; exit 1; }`,
        '  sleep 0.1',
        'done',
        'mkdir -p $out/lib/firmware',
        'echo blob > $out/lib/firmware/blob.bin',
      ]),
    );
    await page.getByTestId('pick-system:moonlight').click();
    await page.getByTestId('pick-system:zephyrus').click();
    await page.getByTestId('build-start').click();
    const panel = page.getByTestId('job-panel');
    await panel.waitFor();
    // While it runs: the derivations being built, with their phases (the kernel bump makes this take a moment).
    const running = panel.locator('.job-running li', { hasText: 'firmware-blobs-1.0' });
    await running.waitFor({ timeout: 60_000 });
    await expect(running.locator('.badge').textContent()).resolves.toBe('unpackPhase');
    await screenshotBothThemes(page, 'builds-running');
    fs.writeFileSync(gate, '');
    const ended = page.locator('[data-testid="job-panel"]:not([data-status="running"])');
    await ended.waitFor({ timeout: 90_000 });
    const status = await ended.getAttribute('data-status');
    // On failure, say why (the job's error as the panel shows it).
    expect(`${status} ${status === 'succeeded' ? '' : await page.getByTestId('job-error').textContent().catch(() => '')}`.trim()).toBe('succeeded');
    await expect(page.getByTestId('job-percent').textContent()).resolves.toBe('100%');
    const targets = page.getByTestId('job-target');
    await expect(targets.count()).resolves.toBe(2);
    for (const name of ['moonlight', 'zephyrus']) {
      const row = page.locator(`[data-testid="job-target"][data-target="${name}"]`);
      await expect(row.getAttribute('data-status')).resolves.toBe('succeeded');
      await expect(row.getByTestId('job-outpath').textContent()).resolves.toMatch(new RegExp(`/nix/store/\\w{32}-nixos-system-${name}`));
      await expect(row.getByRole('progressbar').getAttribute('aria-valuenow')).resolves.toBe('100');
    }
    // The log: rows rendered, search finds the built lines.
    const log = page.getByTestId('log-view');
    await log.locator('.log-row').first().waitFor();
    await page.getByTestId('log-search').fill('built /nix/store');
    await page.getByTestId('log-search').press('Enter');
    await expect.poll(() => page.getByTestId('log-matches').textContent(), { timeout: 30_000 }).toBe('1 / 2');
    await expect(log.locator('.log-row.current mark').first().textContent()).resolves.toMatch(/built \/nix\/store/i);
    await screenshotBothThemes(page, 'builds-succeeded');
    expect(errors).toEqual([]);
    fs.writeFileSync(file, text);
    fs.rmSync(gateDir, { recursive: true, force: true });
  });

  it('explains an unknown target with a close match', async () => {
    await page.getByTestId('build-extra').fill('moonlite');
    await page.getByTestId('build-start').click();
    await expect(page.getByTestId('build-error').textContent()).resolves.toMatch(/Did you mean moonlight/);
    await page.getByTestId('build-extra').fill('');
  });

  it('shows a failed derivation, the end of its log and, on request, its whole log', async () => {
    const file = `${root}/systems/moonlight/default.nix`;
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(
      file,
      withMoonlightPackage(text, 'backup-scripts-1.0', [`echo "self-test ${Date.now()}"`, 'echo "backup.sh: line 12: restic: command not found" >&2', 'exit 1']),
    );
    await page.getByTestId('pick-system:zephyrus').click();
    await page.getByTestId('build-start').click();
    await page.locator('[data-testid="job-panel"][data-status="failed"]').waitFor({ timeout: 60_000 });
    const failure = page.locator('.job-failure');
    await expect(failure.locator('pre').textContent()).resolves.toContain('restic: command not found');
    await failure.getByTestId('derivation-log-open').click();
    await failure.getByTestId('derivation-log').locator('.log-row', { hasText: 'restic: command not found' }).waitFor();
    await screenshotBothThemes(page, 'builds-failed-derivation');
    fs.writeFileSync(file, text);
  });

  it('cancels a running build from the panel, leaving no process behind', async () => {
    const file = `${root}/systems/moonlight/default.nix`;
    const text = fs.readFileSync(file, 'utf8');
    const marker = `${300 + Math.floor(Math.random() * 600)}.${Date.now() % 100000}`;
    fs.writeFileSync(file, withMoonlightPackage(text, 'slow-tool-1.0', ['phase buildPhase', `sleep ${marker}`]));
    await page.getByTestId('build-start').click();
    const panel = page.locator('[data-testid="job-panel"][data-status="running"]');
    await panel.locator('.job-running li', { hasText: 'slow-tool-1.0' }).waitFor({ timeout: 60_000 });
    await expect(panel.locator('.job-running li', { hasText: 'slow-tool-1.0' }).locator('.badge').textContent()).resolves.toBe('buildPhase');
    // The builder shell and its sleep.
    expect(processesMatching(`sleep ${marker}`).length).toBeGreaterThan(0);
    await page.getByTestId('job-cancel').click();
    await page.locator('[data-testid="job-panel"][data-status="cancelled"]').waitFor({ timeout: 30_000 });
    expect(processesMatching(`sleep ${marker}`)).toEqual([]);
    expect(processesMatching(root).filter((p) => /\bnix\b/.test(p.cmdline))).toEqual([]);
    fs.writeFileSync(file, text);
  });

  it('shows a syntax error with its file and line', async () => {
    fs.appendFileSync(`${root}/systems/moonlight/default.nix`, '{ broken = ;\n');
    // Nix sees tracked files only: an untracked edit of a tracked file is seen (dirty tree).
    await page.getByTestId('build-extra').fill('moonlight');
    await page.getByTestId('build-start').click();
    await page.locator('[data-testid="job-panel"][data-status="failed"]').waitFor({ timeout: 60_000 });
    const error = page.getByTestId('job-error');
    await expect(error.textContent()).resolves.toMatch(/syntax error/);
    await expect(error.locator('code').textContent()).resolves.toMatch(/systems\/moonlight\/default\.nix:\d+/);
    await expect(error.getByTestId('open-in-editor').isVisible()).resolves.toBe(true);
    await screenshotBothThemes(page, 'builds-eval-error');
  });
});
