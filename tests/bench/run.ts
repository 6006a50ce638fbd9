// `npm run bench [name...]`: run every tests/bench/*.bench.ts (or those whose file name
// contains one of the given words), one after the other, each printing its own figures
// and ratios against what a user would otherwise run. Figures go to docs/BENCHMARKS.md
// by hand, with the date. Never part of `npm test`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

if (files.length === 0) {
  process.stderr.write(`No benchmark matches ${filters.join(', ')}. Available: ${fs.readdirSync(here).filter((f) => f.endsWith('.bench.ts')).join(', ')}\n`);
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${file} (${new Date().toISOString()}) ===\n`);
  const started = Date.now();
  try {
    const mod = (await import(pathToFileURL(path.join(here, file)).href)) as { default?: () => Promise<void> };
    if (typeof mod.default !== 'function') throw new Error(`${file} has no default export function`);
    await mod.default();
    process.stdout.write(`--- ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    failed++;
    process.stdout.write(`--- ${file} FAILED: ${(error as Error).stack ?? String(error)}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
