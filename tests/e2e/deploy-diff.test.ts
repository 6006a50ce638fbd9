import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { repoRoot, type ServeHandle } from './serve-helper';
import { collectPageErrors, screenshotBothThemes } from './browser';
import { openLabUi, type LabUi } from './lab-ui';
import type { DeployWorld } from '../integration/deploy-world';
import { formatBytes } from '../../src-main/shared/units';

const run = promisify(execFile);

/** Flags nix needs here: flakes, no binary cache (no network), no sandbox. */
const nixFlags = ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', '', '--option', 'sandbox', 'false'];

/**
 * What a deploy of `outPath` really copies to the host, found independently of the app:
 * the closure's paths (nix path-info here) that the host's own store lacks (asked inside
 * the host, without ssh), and their NAR sizes.
 */
async function realDownload(world: DeployWorld, outPath: string): Promise<{ paths: number; bytes: number }> {
  const { stdout } = await run('nix', [...nixFlags, 'path-info', '--json', '--recursive', outPath], { env: world.env, maxBuffer: 64 * 1024 * 1024 });
  const infos = JSON.parse(stdout) as { path: string; narSize: number }[];
  const check = await world.lab.host('moonlight').exec(['nix-store', '--check-validity', '--print-invalid', ...infos.map((i) => i.path)]);
  const invalid = new Set(check.stdout.split('\n').filter(Boolean));
  const lacking = infos.filter((i) => invalid.has(i.path));
  return { paths: lacking.length, bytes: lacking.reduce((sum, i) => sum + i.narSize, 0) };
}

describe('the deploy sheet shows what a deploy changes on the host, before anything is copied', () => {
  let ui: LabUi | undefined;
  let world: DeployWorld;
  let serve: ServeHandle;
  let page: Page;
  let errors: string[];
  let browser: Browser;

  beforeAll(async () => {
    // zephyrus and lg-laptop stay undeployed: three out-of-date hosts for the queue test.
    ui = await openLabUi({
      names: ['moonlight', 'zephyrus', 'lg-laptop'],
      route: '#/deploys',
      prepare: async (w) => {
        // moonlight runs what the checkout builds: deployed with the real `fleet deploy`.
        await run(process.execPath, [path.join(repoRoot, 'bin/fleet.js'), '--flake', w.checkout, 'deploy', 'moonlight', '--json'], {
          env: { ...w.env, FLEET_DATA_DIR: path.join(w.home, 'cli-data') },
          maxBuffer: 16 * 1024 * 1024,
        });
        // Then the user bumps fish and commits.
        w.edit('systems/moonlight/default.nix', 'programs.fish.version = "3.7.1";', 'programs.fish.version = "3.7.2";');
      },
    });
    ({ world, serve, page, errors, browser } = ui);
  }, 240_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('moonlight: fish 3.7.1 → 3.7.2 and the bytes to copy, then cancel without deploying', async () => {
    const deployed = await world.lab.host('moonlight').currentSystem();
    expect(deployed).toMatch(/nixos-system-moonlight/);
    await page.getByTestId('deploys-screen').waitFor({ timeout: 30_000 });
    await page.getByTestId('hosts-refresh').click();
    const button = page.locator('[data-testid="host-status-row"][data-target="moonlight"] [data-testid="deploy-button"]');
    await expect.poll(() => button.isEnabled(), { timeout: 30_000 }).toBe(true);
    await button.click();
    const sheet = page.getByTestId('deploy-sheet');
    await sheet.waitFor();
    const row = sheet.locator('[data-testid="deploy-diff-host"][data-target="moonlight"]');
    await row.waitFor({ timeout: 30_000 });
    // While the checkout builds and the host is listed, a spinner.
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 120_000 }).not.toBe('running');
    expect(await row.getAttribute('data-state')).toBe('ok');
    const packages = (await row.getByTestId('deploy-diff-packages-line').textContent()) ?? '';
    expect(packages).toContain('fish 3.7.1 → 3.7.2');
    expect(packages).toContain('+0 added, −0 removed');
    expect(await row.getByTestId('deploy-diff-reboot').count()).toBe(0);

    // The figure agrees with what the host's store really lacks.
    const wanted = await run('nix', [...nixFlags, 'eval', '--raw', `${world.checkout}#nixosConfigurations.moonlight.config.system.build.toplevel.outPath`], { env: world.env });
    const truth = await realDownload(world, wanted.stdout.trim());
    expect(truth.paths).toBeGreaterThan(0);
    expect(await row.getByTestId('deploy-diff-copy').textContent()).toBe(`copies ${truth.paths} path${truth.paths === 1 ? '' : 's'}, ${formatBytes(truth.bytes)}`);
    expect(await row.getByTestId('deploy-diff-size').textContent()).toMatch(/^size .+ → .+ \([+−±]/);

    await row.getByTestId('deploy-diff-toggle').click();
    const table = row.getByTestId('deploy-diff-packages');
    await table.waitFor();
    expect(await table.locator('tr', { hasText: 'fish' }).textContent()).toContain('3.7.1 → 3.7.2');
    await screenshotBothThemes(page, 'deploy-diff-sheet');

    // Cancel: nothing is deployed, the host still runs the old system.
    await sheet.getByRole('button', { name: 'Cancel' }).click();
    await sheet.waitFor({ state: 'detached' });
    expect(await world.lab.host('moonlight').currentSystem()).toBe(deployed);
    expect(errors).toEqual([]);
  }, 240_000);

  it('"Deploy all out-of-date" diffs three hosts, at most two at once; hosts never deployed say "first deploy"', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    try {
      const other = await ctx.newPage();
      const otherErrors = collectPageErrors(other);
      // Count closure-diff jobs in flight from the events the server sends the page.
      let inFlight = 0;
      let most = 0;
      let finished = 0;
      await other.routeWebSocket(/.*/, (ws) => {
        const server = ws.connectToServer();
        server.onMessage((message) => {
          if (typeof message === 'string' && message.includes('closure-diff')) {
            const event = (JSON.parse(message) as { event?: { type: string; job?: { kind: string; status: string } } }).event;
            if (event?.job?.kind === 'closure-diff' && event.type === 'job.created') most = Math.max(most, ++inFlight);
            if (event?.job?.kind === 'closure-diff' && event.type === 'job.status' && event.job.status !== 'running') {
              inFlight--;
              finished++;
            }
          }
          ws.send(message);
        });
      });
      await other.goto(`${serve.url}#/deploys`);
      await other.getByTestId('deploys-screen').waitFor({ timeout: 30_000 });
      await other.getByTestId('hosts-refresh').click();
      const all = other.locator('[data-testid="deploy-hosts-card"] [data-testid="deploy-button"]').first();
      await expect.poll(async () => ((await all.getAttribute('data-targets')) ?? '').split(' ').sort().join(' '), { timeout: 30_000 }).toBe('lg-laptop moonlight zephyrus');
      await all.click();
      const sheet = other.getByTestId('deploy-sheet');
      const rows = sheet.getByTestId('deploy-diff-host');
      await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);
      await expect.poll(() => sheet.locator('[data-testid="deploy-diff-host"][data-state="running"]').count(), { timeout: 120_000 }).toBe(0);
      expect(finished).toBe(3);
      // Three queued at once: two start, the third waits for one of them.
      expect(most).toBe(2);
      expect(await sheet.locator('[data-testid="deploy-diff-host"][data-target="moonlight"] [data-testid="deploy-diff-packages-line"]').textContent()).toContain('fish 3.7.1 → 3.7.2');
      for (const first of ['zephyrus', 'lg-laptop']) {
        const line = sheet.locator(`[data-testid="deploy-diff-host"][data-target="${first}"] [data-testid="deploy-diff-packages-line"]`);
        expect(await line.textContent()).toBe('first deploy (no system running to compare with)');
      }
      await screenshotBothThemes(other, 'deploy-diff-three');
      await sheet.getByRole('button', { name: 'Cancel' }).click();
      await sheet.waitFor({ state: 'detached' });
      expect(otherErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 180_000);

  it('an edit while the sheet is open diffs again; going back to the same checkout reuses the first result', async () => {
    const file = path.join(world.checkout, 'systems/moonlight/default.nix');
    const committed = fs.readFileSync(file, 'utf8');
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const other = await ctx.newPage();
      let created = 0;
      await other.routeWebSocket(/.*/, (ws) => {
        const server = ws.connectToServer();
        server.onMessage((message) => {
          if (typeof message === 'string' && message.includes('closure-diff')) {
            const event = (JSON.parse(message) as { event?: { type: string; job?: { kind: string } } }).event;
            if (event?.type === 'job.created' && event.job?.kind === 'closure-diff') created++;
          }
          ws.send(message);
        });
      });
      await other.goto(`${serve.url}#/deploys`);
      await other.getByTestId('deploys-screen').waitFor({ timeout: 30_000 });
      await other.getByTestId('hosts-refresh').click();
      const button = other.locator('[data-testid="host-status-row"][data-target="moonlight"] [data-testid="deploy-button"]');
      await expect.poll(() => button.isEnabled(), { timeout: 30_000 }).toBe(true);
      await button.click();
      const line = other.locator('[data-testid="deploy-diff-host"][data-target="moonlight"] [data-testid="deploy-diff-packages-line"]');
      await expect.poll(async () => (await line.count()) > 0 && (await line.textContent()), { timeout: 120_000 }).toContain('fish 3.7.1 → 3.7.2');
      expect(created).toBe(1);
      // An uncommitted edit: the watcher rescans, the sheet diffs the new state.
      fs.writeFileSync(file, committed.replace('programs.fish.version = "3.7.2";', 'programs.fish.version = "3.7.3";'));
      await expect.poll(async () => (await line.count()) > 0 && (await line.textContent()), { timeout: 120_000 }).toContain('fish 3.7.1 → 3.7.3');
      expect(created).toBe(2);
      // Back to the committed text: the first result serves again, no third job.
      fs.writeFileSync(file, committed);
      await expect.poll(async () => (await line.count()) > 0 && (await line.textContent()), { timeout: 60_000 }).toContain('fish 3.7.1 → 3.7.2');
      await other.waitForTimeout(1500);
      expect(created).toBe(2);
      await other.getByTestId('deploy-sheet').getByRole('button', { name: 'Cancel' }).click();
    } finally {
      fs.writeFileSync(file, committed);
      await ctx.close();
    }
  }, 240_000);

  it('says "unknown (host unreachable)" when the host goes away before it is listed, and the deploy stays possible', async () => {
    const host = world.lab.host('moonlight');
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const other = await ctx.newPage();
      const otherErrors = collectPageErrors(other);
      // Hold the page's closure.diff request until sshd is gone: the pre-flight saw the host
      // online, the diff cannot list it. No timing guesses.
      let held = false;
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      await other.routeWebSocket(/.*/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((message) => {
          if (typeof message === 'string' && message.includes('"closure.diff"')) {
            held = true;
            void released.then(() => server.send(message));
          } else server.send(message);
        });
      });
      await other.goto(`${serve.url}#/deploys`);
      await other.getByTestId('deploys-screen').waitFor({ timeout: 30_000 });
      await other.getByTestId('hosts-refresh').click();
      const button = other.locator('[data-testid="host-status-row"][data-target="moonlight"] [data-testid="deploy-button"]');
      await expect.poll(() => button.isEnabled(), { timeout: 30_000 }).toBe(true);
      await button.click();
      const sheet = other.getByTestId('deploy-sheet');
      await sheet.locator('[data-testid="deploy-sheet-host"][data-online="yes"]').waitFor({ timeout: 30_000 });
      await expect.poll(() => held, { timeout: 30_000 }).toBe(true);
      await host.killSshd();
      release();
      const row = sheet.locator('[data-testid="deploy-diff-host"][data-target="moonlight"]');
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('unknown');
      expect(await row.getByTestId('deploy-diff-packages-line').textContent()).toBe('unknown (host unreachable)');
      expect(await row.getByTestId('deploy-diff-copy').textContent()).toMatch(/^may copy up to \d+ paths, /);
      expect(await sheet.getByTestId('deploy-confirm').isEnabled()).toBe(true);
      await screenshotBothThemes(other, 'deploy-diff-unknown');
      await sheet.getByRole('button', { name: 'Cancel' }).click();
      await sheet.waitFor({ state: 'detached' });
      expect(otherErrors).toEqual([]);
    } finally {
      await host.startSshd();
      await ctx.close();
    }
  }, 180_000);
});
