// Retake docs/screenshot.png (the README's picture): the Systems screen of the example
// homelab in Chromium through `fleet serve`, once nix has checked it against the flake.
// Run: npx tsx scripts/readme-screenshot.mts   (after npm run build)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, startServe } from '../tests/e2e/serve-helper';
import { launchBrowser } from '../tests/e2e/browser';

const homelab = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-shot-')), 'homelab');
fs.cpSync(path.join(repoRoot, 'flake'), homelab, { recursive: true });
for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab']]) {
  execFileSync('git', args, { cwd: homelab });
}
const server = await startServe({ flake: homelab });
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.goto(server.url);
  await page.getByText('Checked against the flake').waitFor({ timeout: 60_000 });
  await page.getByText('moonlight').first().click();
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(repoRoot, 'docs', 'screenshot.png') });
  process.stdout.write('docs/screenshot.png written\n');
} finally {
  await browser.close();
  await server.close();
}
