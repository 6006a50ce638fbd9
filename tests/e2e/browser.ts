import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './serve-helper';

export const screenshotDir = path.join(repoRoot, 'test-output', 'screenshots');

/** Debian's Chromium, headless, with no traffic beyond this machine. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** Screenshot the page in light and dark, as test-output/screenshots/<name>-{light,dark}.png. */
export async function screenshotBothThemes(page: Page, name: string): Promise<string[]> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const files: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    const file = path.join(screenshotDir, `${name}-${scheme}.png`);
    await page.screenshot({ path: file });
    files.push(file);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return files;
}

/** Collect console errors and CSP violations so a test can assert the page is clean. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}
