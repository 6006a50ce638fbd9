#!/usr/bin/env node
// `npm test`: check (and as root, set up) the machine, then type-check, lint, build the app (Electron main/preload/renderer with
// electron-vite), then the unit, integration, security and e2e suites one after the other (the
// integration and e2e suites start real sshd hosts, adb and Chromium: two files at a time, each
// with its own lab, checkout and ports, and the files that assert wall-clock bounds alone; see
// vitest.config.ts), then the current-nix projects: a focused set of those again against
// Debian sid's Nix and OpenSSH (tests/test-worlds.json). Each suite's line names the Nix and
// OpenSSH it ran against. Ends with one summary line: "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkMachine } from './setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const only = process.argv.slice(2);
const worlds = JSON.parse(readFileSync(path.join(root, 'tests/test-worlds.json'), 'utf8'));
const PROJECTS = ['unit', 'integration', 'security', 'e2e', 'current-nix-local', 'current-nix-hosts', 'current-nix-e2e'];

/** Output of a program (stdout and stderr: ssh -V prints on stderr), or '' when it does not run. */
function output(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  return result.status === 0 ? `${result.stdout}${result.stderr}` : '';
}

const toolsSeen = new Map();
/** Nix and OpenSSH of this machine (null) or of a toolchain, found by running them. */
function toolsOf(suite) {
  const key = suite ?? 'machine';
  if (!toolsSeen.has(key)) {
    let tools;
    if (suite === null) {
      const nix = /\) (\S+)/.exec(output('nix', ['--version']))?.[1];
      const ssh = /OpenSSH_([0-9][0-9A-Za-z.]*)/.exec(output('ssh', ['-V']))?.[1];
      tools = `Nix ${nix ?? '(not found)'} / OpenSSH ${ssh ?? '(not found)'} (this machine)`;
    } else {
      // Prints "sid: Nix 2.34.8, OpenSSH 10.6p1 in <folder>" after running its nix and ssh.
      const line = output(bin('tsx'), [path.join(root, 'tests/harness/lab.ts'), 'toolchain', 'check', suite]);
      const match = /Nix (\S+), OpenSSH (\S+) in/.exec(line);
      tools = match ? `Nix ${match[1]} / OpenSSH ${match[2]} (${suite})` : `${suite} toolchain (not working)`;
    }
    toolsSeen.set(key, tools);
  }
  return toolsSeen.get(key);
}

/** "app: Nix 2.8.0 / OpenSSH 9.2p1 (this machine); hosts: Nix 2.34.8 / OpenSSH 10.6p1 (sid)" */
function worldLine(project) {
  const world = worlds[project];
  return world ? `app: ${toolsOf(world.local)}; hosts: ${toolsOf(world.hosts)}` : null;
}

function step(title, command, args, env = process.env) {
  process.stdout.write(`\n▶ ${title}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  process.stdout.write(`  ${title}: ${result.status === 0 ? 'ok' : `failed (exit ${result.status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return result.status === 0;
}

/**
 * How many files of a suite that starts outside processes run at once (vitest.config.ts): two,
 * unless FLEET_TEST_FILES_AT_ONCE says otherwise or the machine was already busy when npm test
 * started (a load average above its cores: a shared machine, where two at a time gain little
 * and stretch every wait toward the tests' timeouts). Read once, before our own suites add load.
 */
const startLoad = os.loadavg()[0];
function filesAtOnce() {
  if (process.env.FLEET_TEST_FILES_AT_ONCE) return { value: process.env.FLEET_TEST_FILES_AT_ONCE, note: '' };
  const cores = os.availableParallelism();
  if (startLoad <= cores) return { value: '2', note: '' };
  return { value: '1', note: ` (load ${startLoad.toFixed(1)} on ${cores} cores at the start: one file at a time; FLEET_TEST_FILES_AT_ONCE=2 overrides)` };
}

// Each failed test by file and name with the first line of its error, so the summary at the end
// (all a CI log's tail may show) says which test failed and why.
function failedTests(json) {
  const lines = [];
  for (const file of json.testResults ?? []) {
    const relative = path.relative(root, file.name ?? '');
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    if (failed.length === 0 && file.status === 'failed') {
      lines.push(`    ✗ ${relative}: ${firstLine(file.message)}`);
    }
    for (const test of failed) {
      lines.push(`    ✗ ${relative} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
  }
  return lines;
}

function firstLine(text) {
  const line = String(text ?? 'no message').split('\n').find((part) => part.trim() !== '') ?? 'no message';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

// The machine first: packages, nix settings, build users, toolchains (installed here as root).
process.stdout.write('▶ machine set-up\n');
if (!checkMachine()) process.exit(1);

const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;
if (only.length === 0) {
  ok = step('type-check', bin('tsc'), ['-b', 'tsconfig.layers.json']) && ok;
  ok = step('lint', bin('eslint'), ['.']) && ok;
  ok = step('build', bin('electron-vite'), ['build']) && ok;
}
mkdirSync(path.join(root, 'test-output'), { recursive: true });
const suiteLines = [];
for (const project of only.length > 0 ? only : PROJECTS) {
  const report = path.join(root, 'test-output', `vitest-${project}.json`);
  // `<suite>-alone` (vitest.config.ts): the suite's files that assert wall-clock bounds, run
  // one at a time after the others (which run two at a time).
  const atOnce = filesAtOnce();
  const passed = step(`${project} tests${atOnce.note}`, bin('vitest'), [
    'run', '--project', project, '--project', `${project}-alone`, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ], { ...process.env, FLEET_TEST_FILES_AT_ONCE: atOnce.value });
  ok = passed && ok;
  const world = worldLine(project);
  if (world) process.stdout.write(`  ${project} ran against ${world}\n`);
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    suiteLines.push(`  ${project}: ${json.numPassedTests ?? 0} passed, ${json.numFailedTests ?? 0} failed${world ? `; ${world}` : ''}`);
    totals.passed += json.numPassedTests ?? 0;
    totals.failed += json.numFailedTests ?? 0;
    totals.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
    if (!passed && (json.numFailedTests ?? 0) === 0) totals.failed += 1; // a suite that failed to load
    suiteLines.push(...failedTests(json));
  } else if (!passed) {
    suiteLines.push(`  ${project}: did not run${world ? `; ${world}` : ''}`);
    totals.failed += 1;
  }
}
process.stdout.write(`\n${suiteLines.join('\n')}\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
