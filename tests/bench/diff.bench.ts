// Issue 7 benchmarks: the affected set on a 1,000-host homelab with 200 changed files, the
// closure diff of two 5,000-path closures, and listing a host's 5,000-path closure over SSH
// in one round trip against `nix-store` through a fresh `ssh` per query (a user by hand).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateHomelab, bigHomelab } from './inventory-tree';
import { scanInventory } from '../../src-main/core/homelab/scan';
import { machineIndexOf, mapChangesToMachines, type PathChange } from '../../src-main/core/homelab/affected-rules';
import { computeAffected } from '../../src-main/core/homelab/affected';
import { compareClosures } from '../../src-main/core/closure/compare';
import { hostClosure } from '../../src-main/core/closure/listing';
import type { ClosureEntry } from '../../src-main/core/closure/types';
import { PassphraseCache } from '../../src-main/core/ssh/auth';
import { SshConnection } from '../../src-main/core/ssh/connection';
import { startHosts, run, runOk } from '../harness/hosts/index.js';

function stats(samples: number[]): { median: number; p95: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p95: at(0.95), max: s[s.length - 1]! };
}

async function time<T>(fn: () => T | Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** 200 changed files across the layout: host files, homes, droids, modules and one lib file. */
function changedFiles(root: string): string[] {
  const files: string[] = [];
  const systems = fs.readdirSync(path.join(root, 'systems')).sort();
  for (let i = 0; i < 150; i++) {
    const entry = systems[(i * 7) % systems.length]!;
    files.push(entry.endsWith('.nix') ? `systems/${entry}` : `systems/${entry}/default.nix`);
  }
  const homes = fs.readdirSync(path.join(root, 'homes')).sort();
  for (let i = 0; i < 30; i++) files.push(`homes/${homes[(i * 13) % homes.length]}/default.nix`);
  const droids = fs.readdirSync(path.join(root, 'droids')).sort();
  for (let i = 0; i < 10; i++) files.push(`droids/${droids[i]}/default.nix`);
  for (let i = 0; i < 9; i++) files.push(`modules/${['nixos', 'home', 'droid'][i % 3]}/group-0${i}/sub-0/extra-${i}.nix`);
  files.push('flake.lock');
  return [...new Set(files)].slice(0, 200);
}

async function benchAffected(): Promise<void> {
  const root = generateHomelab(bigHomelab);
  try {
    const files = changedFiles(root);
    const changes: PathChange[] = files.map((p) => ({ path: p, kind: 'modified' }));
    const index = machineIndexOf(scanInventory(root));
    const machines = index.systems.length + index.homes.length + index.droids.length;
    for (let i = 0; i < 3; i++) mapChangesToMachines(index, changes);
    const rules: number[] = [];
    let affected = 0;
    for (let i = 0; i < 25; i++) {
      const [ms, result] = await time(() => mapChangesToMachines(index, changes));
      rules.push(ms);
      affected = result.affected.length;
    }
    // The whole query as `fleet affected --no-confirm` runs it: git status + scan + rules.
    for (const file of files) {
      const abs = path.join(root, file);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.appendFileSync(abs, '# edited\n');
    }
    await computeAffected(root, { confirm: false });
    const whole: number[] = [];
    let reported = 0;
    for (let i = 0; i < 10; i++) {
      const [ms, report] = await time(() => computeAffected(root, { confirm: false }));
      whole.push(ms);
      reported = report.files.length;
    }
    const r = stats(rules);
    const w = stats(whole);
    process.stdout.write(
      `affected set: ${machines} machines, ${files.length} changed files -> ${affected} affected (flake.lock touches everything)\n` +
        `  rules only (mapChangesToMachines), median ${fmt(r.median)}, p95 ${fmt(r.p95)} (target < 200 ms)\n` +
        `  whole query (git status + scan + rules, ${reported} files), median ${fmt(w.median)}, p95 ${fmt(w.p95)}\n`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function syntheticClosure(count: number, options: { seed: (i: number) => number; bump?: (i: number) => number; name?: string }): ClosureEntry[] {
  const hash = (i: number) => (i * 2654435761 + options.seed(i)).toString(36).padStart(32, '0').slice(-32);
  const name = options.name ?? 'pkg';
  return Array.from({ length: count }, (_, i) => ({
    path: `/nix/store/${hash(i)}-${name}${i % 4 === 0 ? '-lib' : ''}_${i}-${1 + (i % 9)}.${options.bump?.(i) ?? 0}.${i % 5}${i % 11 === 0 ? '-dev' : ''}`,
    narSize: 1000 + ((i * 7919) % 500_000),
  }));
}

async function benchClosureDiff(): Promise<void> {
  const before = syntheticClosure(5000, { seed: () => 1 });
  // A tenth upgraded (new version, new hash), 100 removed, 100 added, the rest the same paths.
  const upgraded = (i: number) => i % 10 === 0;
  const after = syntheticClosure(5000, { seed: (i) => (upgraded(i) ? 2 : 1), bump: (i) => (upgraded(i) ? 1 : 0) })
    .slice(100)
    .concat(syntheticClosure(100, { seed: () => 7, name: 'newpkg' }));
  for (let i = 0; i < 5; i++) compareClosures(before, after);
  const samples: number[] = [];
  let summary = '';
  for (let i = 0; i < 25; i++) {
    const [ms, diff] = await time(() => compareClosures(before, after));
    samples.push(ms);
    summary = `${diff.counts.upgraded} upgraded, ${diff.counts.added} added, ${diff.counts.removed} removed, ${diff.download.paths} paths to copy`;
  }
  const s = stats(samples);
  process.stdout.write(`closure diff of two 5,000-path closures (${summary}): median ${fmt(s.median)}, p95 ${fmt(s.p95)} (target < 100 ms)\n`);
}

/**
 * A 5,000-path closure that costs one build: the leaves come from builtins.toFile (written
 * at evaluation, nothing to build), the root lists them through passAsFile (too many for argv).
 */
function fiveThousandPathClosure(salt: string): { root: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-diff-bench-closure-'));
  const file = path.join(dir, 'closure.nix');
  fs.writeFileSync(
    file,
    `{ salt }:
let leaves = builtins.genList (i: builtins.toFile "bench-leaf-\${toString i}-1.0.\${toString (i - (i / 7) * 7)}" "\${salt} \${toString i}") 4999;
in derivation {
  name = "bench-closure-1.0";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  passAsFile = [ "leaves" ];
  leaves = builtins.concatStringsSep "\\n" leaves;
  args = [ "-c" "/bin/cp $leavesPath $out" ];
}
`,
  );
  try {
    const out = execFileSync('nix-build', [file, '--no-out-link', '--option', 'substituters', '', '--argstr', 'salt', salt], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { root: out.trim() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchHostListing(): Promise<void> {
  process.stdout.write('making a 5,000-path closure and copying it to a test host...\n');
  const closure = fiveThousandPathClosure(`diff-bench-${Date.now()}`);
  const lab = await startHosts({ names: ['moonlight'] });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-diff-bench-home-'));
  try {
    const host = lab.host('moonlight');
    await runOk('nix-copy-closure', ['--to', 'moonlight', closure.root], { env: { ...process.env, NIX_SSHOPTS: `-F ${host.sshConfigPath}` } });
    fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    fs.writeFileSync(path.join(home, '.ssh', 'config'), `Include ${lab.sshConfigPath}\n`);
    const oneTrip: number[] = [];
    let listed = 0;
    for (let i = 0; i < 5; i++) {
      const [ms, entries] = await time(async () => {
        const connection = await SshConnection.open({ host: 'moonlight', home, appKnownHosts: lab.knownHostsPath, passphrases: new PassphraseCache(), askUnknownKey: async () => false });
        try {
          return await hostClosure((argv) => connection.exec(argv), closure.root);
        } finally {
          connection.close();
        }
      });
      oneTrip.push(ms);
      listed = entries.length;
    }
    // By hand: `ssh host nix-store -qR <root>`, then `ssh host nix-store -q --size <path>` per path.
    const ssh = (argv: string[]) => run('ssh', [...host.sshArgs(), '--', ...argv]);
    const [qrMs, qr] = await time(() => ssh(['nix-store', '-qR', closure.root]));
    const paths = qr.stdout.split('\n').filter(Boolean);
    const sample = paths.slice(0, 40);
    const [sizesMs] = await time(async () => {
      for (const p of sample) await ssh(['nix-store', '-q', '--size', p]);
    });
    const perQuery = sizesMs / sample.length;
    const byHand = qrMs + perQuery * paths.length;
    const o = stats(oneTrip);
    process.stdout.write(
      `host closure listing, ${listed} paths with NAR sizes:\n` +
        `  one SSH round trip (connect + nix path-info -r --json), median ${fmt(o.median)}, max ${fmt(o.max)}\n` +
        `  by hand: ssh nix-store -qR ${fmt(qrMs)} (paths only) + ssh nix-store -q --size per path ${fmt(perQuery)} each` +
        ` (measured on ${sample.length}) -> ${(byHand / 1000).toFixed(1)} s for all ${paths.length} (${(byHand / o.median).toFixed(0)}x slower)\n`,
    );
  } finally {
    await lab.stop();
    fs.rmSync(home, { recursive: true, force: true });
    try {
      execFileSync('nix-store', ['--delete', closure.root], { stdio: 'ignore' });
    } catch {
      // still referenced or already collected: harmless
    }
  }
}

/** Run the diff benchmarks and print their figures. */
export default async function diffBench(): Promise<void> {
  await benchAffected();
  await benchClosureDiff();
  if (process.getuid?.() === 0) await benchHostListing();
  else process.stdout.write('host closure listing skipped: the test hosts need root\n');
}
