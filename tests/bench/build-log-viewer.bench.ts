import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser } from '../e2e/browser';
import { startServe } from '../e2e/serve-helper';

// The log viewer with a 200,000-line log, measured in Chromium: a real build whose builder
// prints 200,000 coloured lines, streamed by `fleet serve` over the WebSocket into the
// Builds screen while it follows the tail. Goals: renderer heap < 150 MB, no frame > 100 ms.

const lines = 200_000;

const flakeNix = `{
  outputs = { self }: {
    packages.x86_64-linux.default = derivation {
      name = "chatty-build";
      system = "x86_64-linux";
      builder = "/bin/sh";
      PATH = "/usr/bin:/bin";
      nonce = builtins.readFile ./nonce;
      args = [ "-c" ''
        awk 'BEGIN { for (i = 1; i <= ${lines}; i++) printf "\\033[32m[%06d]\\033[0m \\033[1mcc\\033[0m -O2 -Wall -c src/module-%d.c -o build/module-%d.o\\n", i, i, i }'
        echo done > $out
      '' ];
    };
  };
}
`;

/** Poll `check` (the page's CSP forbids Playwright's string predicates). */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the log viewer');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export default async function bench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-log-'));
  fs.writeFileSync(path.join(dir, 'flake.nix'), flakeNix);
  fs.writeFileSync(path.join(dir, 'nonce'), `${Date.now()}-${Math.random()}`);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'bench');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-log-data-'));
  const serve = await startServe({ flake: dir, dataDir, env: { FLEET_NIX_OPTIONS: process.env.FLEET_NIX_OPTIONS ?? 'substituters=' } });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    const cdp = await page.context().newCDPSession(page);
    await page.goto(serve.url);
    await page.getByTestId('nav-builds').click();
    await page.getByTestId('builds-screen').waitFor();
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      return usage.usedSize / 1024 / 1024;
    };
    const before = await heap();
    // Watch every frame while the log streams in.
    // Scripts for the page are strings: tsx's transform would add helpers the page lacks.
    await page.evaluate(`(() => {
      const f = { last: performance.now(), max: 0, over100: 0, over50: 0, count: 0, stop: false, longTasks: [] };
      window.frames$ = f;
      // Main-thread tasks over 50 ms: tells our own work apart from a starved CPU.
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!f.stop) f.longTasks.push(Math.round(e.duration));
      }).observe({ type: 'longtask' });
      const tick = (now) => {
        const delta = now - f.last;
        f.last = now;
        f.count++;
        f.max = Math.max(f.max, delta);
        if (delta > 100) f.over100++;
        if (delta > 50) f.over50++;
        if (!f.stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    const started = Date.now();
    await page.getByTestId('build-extra').fill('.#packages.x86_64-linux.default');
    await page.getByTestId('build-start').click();
    await page.locator('[data-testid="job-panel"][data-status="succeeded"]').waitFor({ timeout: 300_000 });
    // Wait until the viewer holds every line (the builder's lines plus nix's own).
    await until(async () => Number(((await page.getByTestId('log-matches').textContent()) ?? '0').replace(/\D/g, '')) >= lines, 120_000);
    const streamMs = Date.now() - started;
    const frames = (await page.evaluate('(() => { window.frames$.stop = true; return { ...window.frames$ }; })()')) as {
      max: number;
      over100: number;
      over50: number;
      count: number;
      longTasks: number[];
    };
    const shown = await page.getByTestId('log-matches').textContent();
    const after = await heap();
    const domRows = await page.locator('.log-row').count();

    // Scrolling through the whole log, then a search across it, frame by frame.
    const scroll = (await page.evaluate(`(async () => {
      const el = document.querySelector('[data-testid="log-scroll"]');
      let last = performance.now();
      let max = 0;
      for (let i = 0; i <= 60; i++) {
        el.scrollTop = (el.scrollHeight * i) / 60;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        max = Math.max(max, now - last);
        last = now;
      }
      return { max };
    })()`)) as { max: number };
    const searchStarted = Date.now();
    await page.getByTestId('log-search').fill('module-199999.c');
    await page.getByTestId('log-search').press('Enter');
    await until(async () => (await page.getByTestId('log-matches').textContent()) === '1 / 1', 30_000);
    const searchMs = Date.now() - searchStarted;
    const heapEnd = await heap();

    process.stdout.write(`log viewer, ${lines.toLocaleString()} ANSI-coloured lines streamed from a real build (${shown}):\n`);
    process.stdout.write(`  streamed and shown in ${(streamMs / 1000).toFixed(1)} s, ${frames.count} frames\n`);
    process.stdout.write(`  longest frame while appending: ${frames.max.toFixed(0)} ms (frames > 100 ms: ${frames.over100}, > 50 ms: ${frames.over50}; goal: none > 100 ms)\n`);
    process.stdout.write(`  main-thread tasks over 50 ms while appending: ${frames.longTasks.length} (${frames.longTasks.join(', ') || 'none'} ms)\n`);
    process.stdout.write(`  longest frame scrolling top to bottom in 60 jumps: ${scroll.max.toFixed(0)} ms\n`);
    process.stdout.write(`  search of the whole log: ${searchMs} ms to the match\n`);
    process.stdout.write(`  renderer JS heap after GC: ${before.toFixed(1)} MB before, ${after.toFixed(1)} MB with the log, ${heapEnd.toFixed(1)} MB after search (goal < 150 MB)\n`);
    process.stdout.write(`  DOM rows rendered: ${domRows} (virtualised)\n`);
    if (frames.over100 > 0 || after > 150) process.stdout.write('  NOTE: a goal was missed in this run\n');
  } finally {
    await browser.close();
    await serve.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
