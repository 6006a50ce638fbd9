#!/usr/bin/env node
// What the tests need from the machine, checked before anything runs: Debian packages, the
// nix settings of the test world, nix's build users, a git identity, and the current-Nix
// toolchain (sid) the suites also run against. `npm test` calls checkMachine(); as root it
// installs and configures what is missing, otherwise it prints the one command that does.
// Safe to run again and again: each step is skipped when already in place.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Debian packages the unit, integration and e2e suites use, and why. */
export const PACKAGES = {
  'nix-bin': 'builds of the example homelab (Nix 2.8)',
  git: 'checkouts, diffs',
  'openssh-server': 'test hosts (sshd)',
  'openssh-client': 'ssh, nix-copy-closure',
  adb: 'the real adb server for the emulated phone',
  chromium: 'e2e tests (Playwright)',
  iproute2: 'network namespaces of the test hosts',
  sudo: 'non-root deploys',
  socat: "the emulated phone's tcp: service",
  'ca-certificates': 'https for apt and debootstrap',
  procps: 'ps, pkill',
  psmisc: 'fuser, killall',
  'util-linux': 'unshare, nsenter, fallocate, findmnt, blkid',
  mount: "losetup, mount: the lab installer's loop disks",
  openssl: "hashes the lab's sudo password",
  debootstrap: 'root filesystems of the current-Nix toolchains (trixie, sid)',
  gdisk: "sgdisk: the installer host's disks are partitioned for real (fleet install)",
  parted: 'partprobe: partitions of loop devices without udev',
  dosfstools: 'mkfs.vfat: the EFI system partition of an install',
  e2fsprogs: 'mkfs.ext4: the root filesystem of an install',
  fusefat: "FAT over FUSE: the lab installer mounts the EFI system partition with it when the kernel has no vfat (a named emulation)",
  pciutils: 'lspci: the hardware facts of a machine',
  age: "age-keygen -y checks the age recipient fleet install derives from a host key",
  acct: "accton, dump-acct: the benchmarks' CPU time of the lab hosts' processes (npm run bench)",
};

/**
 * Nix settings the test world needs. This machine reaches no binary cache and the example
 * homelab's builders are /bin/sh, so no sandbox and no substituters; the example phone is
 * aarch64-linux, built here as an extra platform.
 */
export const NIX_SETTINGS = {
  'experimental-features': 'nix-command flakes',
  sandbox: 'false',
  substituters: '',
  'extra-platforms': 'aarch64-linux',
};

export const NIX_CONF = '/etc/nix/nix.conf';
const BUILD_GROUP = 'nixbld';
const BUILD_USERS = 8;

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...options });
}

function missingPackages() {
  const result = run('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...Object.keys(PACKAGES)]);
  const installed = new Set(
    (result.stdout ?? '').split('\n').filter((line) => line.endsWith(' installed')).map((line) => line.split(' ')[0]),
  );
  return Object.keys(PACKAGES).filter((name) => !installed.has(name));
}

/** key = value lines of a nix.conf (later lines win, as in nix). */
export function parseNixConf(text) {
  const settings = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const match = /^([A-Za-z0-9-]+)\s*=\s*(.*)$/.exec(line);
    if (match) settings.set(match[1], match[2].trim());
  }
  return settings;
}

/** The settings of NIX_SETTINGS that nix.conf's text lacks or sets otherwise. */
export function nixConfProblems(text) {
  const settings = parseNixConf(text);
  const words = (value) => (value ?? '').split(/\s+/).filter(Boolean).sort().join(' ');
  return Object.entries(NIX_SETTINGS)
    .filter(([key, value]) => {
      const current = settings.get(key);
      if (key === 'experimental-features' || key === 'extra-platforms') {
        const have = new Set(words(current).split(' '));
        return !value.split(' ').every((word) => have.has(word));
      }
      return current === undefined || words(current) !== words(value);
    })
    .map(([key]) => key);
}

/** nix.conf with the test world's settings: other lines kept, ours replaced or added. */
export function withTestSettings(text) {
  const ours = new Set(Object.keys(NIX_SETTINGS));
  const kept = text
    .split('\n')
    .filter((raw) => {
      const match = /^\s*([A-Za-z0-9-]+)\s*=/.exec(raw);
      return !(match && ours.has(match[1]));
    })
    .join('\n')
    .replace(/\n*# Homelab Fleet test world.*$/s, '')
    .trimEnd();
  const block = [
    '# Homelab Fleet test world (scripts/setup.mjs): no binary cache is reachable, the example',
    "# homelab's builders are /bin/sh (no sandbox), and its phone is aarch64-linux.",
    ...Object.entries(NIX_SETTINGS).map(([key, value]) => `${key} = ${value}`.trimEnd()),
  ].join('\n');
  return `${kept ? `${kept}\n\n` : ''}${block}\n`;
}

function groupExists(name) {
  return run('getent', ['group', name]).status === 0;
}

function userExists(name) {
  return run('getent', ['passwd', name]).status === 0;
}

function missingBuildUsers() {
  const missing = [];
  if (!groupExists(BUILD_GROUP)) missing.push(`group ${BUILD_GROUP}`);
  for (let i = 1; i <= BUILD_USERS; i++) if (!userExists(`${BUILD_GROUP}${i}`)) missing.push(`user ${BUILD_GROUP}${i}`);
  return missing;
}

const STORE_DB = '/nix/var/nix/db';

function storeMade() {
  return existsSync('/nix/store') && existsSync(STORE_DB);
}

function gitIdentityMissing() {
  return ['user.name', 'user.email'].filter((key) => run('git', ['config', '--global', key]).status !== 0);
}

/** Everything the machine lacks, as lines a person can read. */
export function machineProblems() {
  const problems = [];
  const packages = missingPackages();
  if (packages.length > 0) problems.push(`Debian packages not installed: ${packages.join(', ')}`);
  const conf = existsSync(NIX_CONF) ? readFileSync(NIX_CONF, 'utf8') : null;
  if (conf === null) problems.push(`${NIX_CONF} does not exist`);
  else {
    const wrong = nixConfProblems(conf);
    if (wrong.length > 0) problems.push(`${NIX_CONF} lacks or sets otherwise: ${wrong.join(', ')}`);
  }
  const users = missingBuildUsers();
  if (users.length > 0) problems.push(`nix build users missing: ${users.join(', ')}`);
  if (!storeMade()) problems.push(`nix's store is not made yet (no ${STORE_DB}): Debian's nix-bin leaves it to the first nix run, and the test hosts and the toolchain bind /nix`);
  const git = gitIdentityMissing();
  if (git.length > 0) problems.push(`git has no ${git.join(' and ')} (commits made by the tests need one)`);
  const toolchain = toolchainProblem();
  if (toolchain) problems.push(toolchain);
  return problems;
}

const TSX = path.join(root, 'node_modules', '.bin', 'tsx');
// The toolchain check and build are the test harness's own code (TypeScript, run by tsx).
const NO_MODULES = 'node_modules is not installed: run `npm ci` in this folder first, then this again';

function toolchainProblem() {
  if (!existsSync(TSX)) return `the sid toolchain cannot be checked: ${NO_MODULES}`;
  const result = run(TSX, [path.join(root, 'tests/harness/lab.ts'), 'toolchain', 'check', 'sid'], { cwd: root });
  return result.status === 0 ? null : (result.stdout || result.stderr || 'the sid toolchain is not built').trim();
}

function step(title, command, args, options = {}) {
  process.stdout.write(`  setup: ${title}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`setup: ${title} failed (exit ${result.status ?? result.signal})`);
}

/** Install and configure what machineProblems() names. Root only. */
export function installMissing() {
  const packages = missingPackages();
  if (packages.length > 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    step('apt-get update', 'apt-get', ['update', '-qq'], { env });
    step(`apt-get install ${packages.join(' ')}`, 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
  }
  const conf = existsSync(NIX_CONF) ? readFileSync(NIX_CONF, 'utf8') : null;
  if (conf === null || nixConfProblems(conf).length > 0) {
    process.stdout.write(`  setup: writing the test world's settings to ${NIX_CONF}\n`);
    mkdirSync(path.dirname(NIX_CONF), { recursive: true });
    writeFileSync(NIX_CONF, withTestSettings(conf ?? ''), { mode: 0o644 });
  }
  if (!groupExists(BUILD_GROUP)) step(`groupadd ${BUILD_GROUP}`, 'groupadd', ['--system', BUILD_GROUP]);
  for (let i = 1; i <= BUILD_USERS; i++) {
    const name = `${BUILD_GROUP}${i}`;
    if (userExists(name)) continue;
    step(`useradd ${name}`, 'useradd', [
      '--system', '--gid', BUILD_GROUP, '--groups', BUILD_GROUP, '--home-dir', '/var/empty', '--no-create-home',
      '--shell', '/usr/sbin/nologin', '--comment', `Nix build user ${i}`, name,
    ]);
  }
  if (!storeMade()) step('nix store (nix-store --init)', 'nix-store', ['--init']);
  if (run('git', ['config', '--global', 'user.name']).status !== 0) step('git identity (name)', 'git', ['config', '--global', 'user.name', 'Homelab Fleet tests']);
  if (run('git', ['config', '--global', 'user.email']).status !== 0) step('git identity (email)', 'git', ['config', '--global', 'user.email', 'tests@localhost']);
  if (toolchainProblem()) {
    if (!existsSync(TSX)) throw new Error(`setup: ${NO_MODULES}`);
    step('current-Nix toolchain (Debian sid: nix-bin, OpenSSH; once, a few minutes)', TSX, [
      path.join(root, 'tests/harness/lab.ts'), 'toolchain', 'up', 'sid',
    ], { cwd: root });
  }
}

export const SETUP_COMMAND = 'sudo node scripts/setup.mjs';

/**
 * Check the machine; as root fix what is missing. Returns true when the tests can run;
 * otherwise prints what is missing and the one command that sets it up.
 */
export function checkMachine() {
  let problems = machineProblems();
  if (problems.length === 0) return true;
  if (process.getuid?.() === 0) {
    process.stdout.write(`Setting up this machine for the tests:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    try {
      installMissing();
    } catch (error) {
      process.stdout.write(`${error.message}\n`);
      return false;
    }
    problems = machineProblems();
    if (problems.length === 0) return true;
    process.stdout.write(`Still missing after set-up:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    return false;
  }
  process.stdout.write(
    `This machine is not set up for the tests:\n${problems.map((p) => `  - ${p}\n`).join('')}` +
      `Run this once (as root it installs and configures all of it), then npm test again:\n\n  ${SETUP_COMMAND}\n`,
  );
  return false;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(checkMachine() ? 0 : 1);
}
