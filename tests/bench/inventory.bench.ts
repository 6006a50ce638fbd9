import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { evaluateFlake } from '../../src-main/core/homelab/nix-eval';
import { scanInventory } from '../../src-main/core/homelab/scan';
import { launchBrowser } from '../e2e/browser';
import { repoRoot, startServe } from '../e2e/serve-helper';
import { bigHomelab, generateHomelab } from './inventory-tree';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;

/** Time a command a user would run, in ms. */
function timeCommand(program: string, args: readonly string[], cwd: string): number {
  const started = performance.now();
  const result = spawnSync(program, [...args], { cwd, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed: ${result.stderr}`);
  return elapsed;
}

/** Render the Systems screen from another screen, `runs` times, in ms until the rows are on screen (after the next frame). */
async function measureRender(page: Page, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await page.getByTestId('nav-droids').click();
    await page.getByTestId('inventory-droids').waitFor();
    const elapsed = await page.evaluate(async () => {
      const button = document.querySelector<HTMLButtonElement>('[data-testid="nav-systems"]');
      if (!button) throw new Error('no Systems button');
      const started = performance.now();
      button.click();
      for (;;) {
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        if (document.querySelector('[data-testid="inventory-systems"] [data-testid="inventory-row"]')) return performance.now() - started;
      }
    });
    times.push(elapsed);
  }
  return times;
}

/** Type `text` one key at a time into the search box, then erase it; ms per keystroke until the list shows the result (after the next frame). */
async function measureKeystrokes(page: Page, text: string): Promise<{ times: number[]; counts: string[] }> {
  return page.evaluate(async (typed) => {
    const input = document.querySelector<HTMLInputElement>('[data-testid="inventory-search"]');
    if (!input) throw new Error('no search box');
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
    const values = [...typed].map((_, i) => typed.slice(0, i + 1));
    values.push(...values.slice(0, -1).reverse(), '');
    const times: number[] = [];
    const counts: string[] = [];
    for (const value of values) {
      const started = performance.now();
      setValue?.call(input, value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      times.push(performance.now() - started);
      counts.push(document.querySelector('[data-testid="inventory-count"]')?.textContent ?? '');
    }
    return { times, counts };
  }, text);
}

/**
 * The inventory on a generated homelab of 1,000 systems, 2,000 homes, 200 droids and
 * 5,000 module files: the directory scan against nix listing the same hosts, and the
 * Systems screen in Chromium (render, filter per keystroke).
 */
export default async function bench(): Promise<void> {
  const t0 = performance.now();
  const homelab = generateHomelab(bigHomelab);
  process.stdout.write(`generated ${JSON.stringify(bigHomelab)} in ${homelab} (${ms(performance.now() - t0)})\n`);

  const first = scanInventory(homelab);
  const counts = `${first.systems.length} systems, ${first.homes.length} homes (${first.standaloneHomes.length} standalone), ${first.droids.length} droids, ${first.secrets.length} secrets files`;
  process.stdout.write(`scan finds ${counts}\n`);
  for (let i = 0; i < 3; i++) scanInventory(homelab);
  const scans: number[] = [];
  for (let i = 0; i < 25; i++) {
    const started = performance.now();
    scanInventory(homelab);
    scans.push(performance.now() - started);
  }
  const scanMedian = median(scans);
  process.stdout.write(`scan: median ${ms(scanMedian)}, p95 ${ms(percentile(scans, 95))}, min ${ms(Math.min(...scans))} (25 runs, warm cache; target < 150 ms)\n`);

  const nixArgs = ['--extra-experimental-features', 'nix-command flakes', 'eval', '--json', '.#nixosConfigurations', '--apply', 'builtins.attrNames'];
  const nixFirst = timeCommand('nix', nixArgs, homelab);
  const nixRuns = [0, 1, 2, 3, 4].map(() => timeCommand('nix', nixArgs, homelab));
  const nixMedian = median(nixRuns);
  const names = JSON.parse(execFileSync('nix', nixArgs, { cwd: homelab, encoding: 'utf8' })) as string[];
  if (names.length !== first.systems.length) throw new Error(`nix lists ${names.length} systems, the scan ${first.systems.length}`);
  process.stdout.write(`nix eval .#nixosConfigurations --apply builtins.attrNames: first ${ms(nixFirst)}, median ${ms(nixMedian)} (5 runs)\n`);
  process.stdout.write(`ratio (clean tree, nix's fetch cached): nix eval / scan = ${(nixMedian / scanMedian).toFixed(2)}\n`);
  // After any edit the tree is dirty: nix copies and hashes the checkout again before it can answer.
  const dirty: number[] = [];
  for (let i = 0; i < 3; i++) {
    fs.appendFileSync(path.join(homelab, 'systems', 'host-0000', 'default.nix'), `# edit ${i}\n`);
    dirty.push(timeCommand('nix', nixArgs, homelab));
  }
  const dirtyMedian = median(dirty);
  process.stdout.write(`nix eval after an edit (dirty tree): median ${ms(dirtyMedian)} (3 runs); ratio nix eval / scan = ${(dirtyMedian / scanMedian).toFixed(1)}\n`);

  const evals: number[] = [];
  for (let i = 0; i < 3; i++) {
    const evaluation = await evaluateFlake(homelab);
    if (evaluation.state !== 'ok') throw new Error(`evaluation failed: ${evaluation.error}`);
    evals.push(evaluation.durationMs ?? 0);
  }
  process.stdout.write(`the app's one-call evaluation (all three outputs): median ${ms(median(evals))} (3 runs)\n`);

  if (!fs.existsSync(path.join(repoRoot, 'out/renderer/index.html'))) {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  }
  const serve = await startServe({ flake: homelab });
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(serve.url);
    await page.getByTestId('inventory-systems').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="flake-status"][data-state="ok"]').waitFor({ timeout: 60_000 });
    const shown = await page.getByTestId('count-systems').textContent();
    const rowsInDom = await page.getByTestId('inventory-row').count();
    const render = await measureRender(page, 10);
    process.stdout.write(
      `Systems screen: ${shown} systems, ${rowsInDom} rows in the DOM (virtualised); render median ${ms(median(render))}, max ${ms(Math.max(...render))} (10 runs; target < 50 ms)\n  each: ${render.map((t) => t.toFixed(0)).join(' ')} ms\n`,
    );
    await page.getByTestId('inventory-search').focus();
    const { times, counts: after } = await measureKeystrokes(page, 'host-09');
    process.stdout.write(
      `filter per keystroke: median ${ms(median(times))}, max ${ms(Math.max(...times))} over ${times.length} keystrokes (type "host-09" and erase; target < 50 ms)\n  each: ${times.map((t) => t.toFixed(0)).join(' ')} ms; shown: ${after[6] ?? ''}\n`,
    );
  } finally {
    await browser.close();
    await serve.close();
  }
  fs.rmSync(homelab, { recursive: true, force: true });
}
