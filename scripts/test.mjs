#!/usr/bin/env node
// `npm test`: check (and as root, set up) the machine, then type-check, lint, build the app (Electron main/preload/renderer with
// electron-vite), then the unit, integration, security and e2e suites one after the other (the
// integration and e2e suites start real sshd hosts, adb and Chromium, so they do not
// share the machine). Ends with one summary line: "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkMachine } from './setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const only = process.argv.slice(2);

function step(title, command, args) {
  process.stdout.write(`\n▶ ${title}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  process.stdout.write(`  ${title}: ${result.status === 0 ? 'ok' : `failed (exit ${result.status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return result.status === 0;
}

// The machine first: packages, nix settings, build users, toolchains (installed here as root).
process.stdout.write('▶ machine set-up\n');
if (!checkMachine()) process.exit(1);

const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;
if (only.length === 0) {
  ok = step('type-check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']) && ok;
  ok = step('lint', bin('eslint'), ['.']) && ok;
  ok = step('build', bin('electron-vite'), ['build']) && ok;
}
mkdirSync(path.join(root, 'test-output'), { recursive: true });
for (const project of only.length > 0 ? only : ['unit', 'integration', 'security', 'e2e']) {
  const report = path.join(root, 'test-output', `vitest-${project}.json`);
  const passed = step(`${project} tests`, bin('vitest'), [
    'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ]);
  ok = passed && ok;
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests ?? 0;
    totals.failed += json.numFailedTests ?? 0;
    totals.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
    if (!passed && (json.numFailedTests ?? 0) === 0) totals.failed += 1; // a suite that failed to load
  } else if (!passed) {
    totals.failed += 1;
  }
}
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
