import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCore } from '../../src-main/core/core';
import type { BuildResult } from '../../src-main/core/nix/build';
import { BuildProgressModel } from '../../src-main/core/nix/build-progress';
import { nixBaseArgs } from '../../src-main/core/nix/runner';
import { nixOptionsFromEnv } from '../../src-main/core/nix/nix-options';

// Progress parsing overhead: the same generated build of 500 small derivations, run bare
// (`nix build --no-link`, what a user types) and through the app (build.start: internal-json
// -v parsed into progress events, log lines batched into events and the job's log file).
// Each run gets a fresh nonce so all 500 derivations really build. Runs alternate.

const derivations = 500;
const linesPerDerivation = 6;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const flakeNix = `{
  outputs = { self }:
    let
      system = "x86_64-linux";
      nonce = builtins.readFile ./nonce;
      sh = name: script: derivation {
        inherit name system;
        builder = "/bin/sh";
        PATH = "/usr/bin:/bin";
        args = [ "-c" script ];
      };
      phase = p: "echo '@nix { \\"action\\": \\"setPhase\\", \\"phase\\": \\"" + p + "\\" }' >&$NIX_LOG_FD; ";
      leaf = i: sh "leaf-\${toString i}" (phase "buildPhase"
        + "echo compiling leaf \${toString i} \${nonce}; echo 'cc -O2 -c leaf.c'; echo 'ld -o leaf leaf.o'; "
        + phase "installPhase" + "echo installing; echo \${toString i} > $out");
      leaves = builtins.genList leaf ${derivations - 1};
    in {
      packages.\${system}.default = sh "top" (phase "installPhase" + "echo linking \${toString (builtins.length leaves)} leaves; cat \${toString leaves} > $out");
    };
}
`;

function generate(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-500-'));
  fs.writeFileSync(path.join(dir, 'flake.nix'), flakeNix);
  fs.writeFileSync(path.join(dir, 'nonce'), 'start');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'bench');
  return dir;
}

function freshNonce(dir: string): void {
  fs.writeFileSync(path.join(dir, 'nonce'), `${Date.now()}-${Math.random()}`);
  execFileSync('git', ['add', 'nonce'], { cwd: dir, stdio: 'ignore' });
}

/** `nix build --no-link .#default`, as a person would run it; stderr drained like a terminal would. */
function bare(dir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('nix', [...nixBaseArgs(nixOptionsFromEnv(env)), 'build', '--no-link', '.#default'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`bare nix build exited ${code}`))));
  });
}

async function throughApp(dir: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number; progressEvents: number; logLines: number; built: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-data-'));
  const core = createCore({ host: 'cli', dataDir, root: dir, env });
  let progressEvents = 0;
  let logLines = 0;
  core.subscribe((e) => {
    if (e.type === 'job.progress') progressEvents++;
    if (e.type === 'job.log') logLines += e.lines.length;
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const { jobId } = (await core.invoke('build.start', { targets: ['.#packages.x86_64-linux.default'] })) as { jobId: string };
  const info = await core.context.jobs.wait(jobId);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  if (info.status !== 'succeeded') throw new Error(`build through the app ${info.status}: ${info.error?.message}`);
  const built = (info.result as BuildResult).targets[0]!.built;
  await core.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { ms, cpuMs, progressEvents, logLines, built };
}

/** Record one internal-json stream of the build to time the parser alone. */
function recordStream(dir: string, env: NodeJS.ProcessEnv): string[] {
  freshNonce(dir);
  const result = spawnSync('nix', [...nixBaseArgs(nixOptionsFromEnv(env)), 'build', '--no-link', '--json', '--log-format', 'internal-json', '-v', '.#default'], {
    cwd: dir,
    env,
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`recording the stream failed: ${result.stderr.slice(-500)}`);
  return result.stderr.split('\n');
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export default async function bench(): Promise<void> {
  const env = { ...process.env, FLEET_NIX_OPTIONS: process.env.FLEET_NIX_OPTIONS ?? 'substituters=' };
  const dir = generate();
  try {
    const bareTimes: number[] = [];
    const appTimes: number[] = [];
    const appCpu: number[] = [];
    let last: Awaited<ReturnType<typeof throughApp>> | undefined;
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first so store warm-up and caches favour neither.
      const order = round % 2 === 0 ? (['bare', 'app'] as const) : (['app', 'bare'] as const);
      for (const which of order) {
        freshNonce(dir);
        if (which === 'bare') bareTimes.push(await bare(dir, env));
        else {
          last = await throughApp(dir, env);
          appTimes.push(last.ms);
          appCpu.push(last.cpuMs);
        }
        process.stdout.write(`  round ${round + 1} ${which}: ${((which === 'bare' ? bareTimes.at(-1)! : appTimes.at(-1)!) / 1000).toFixed(2)} s\n`);
      }
    }
    if (last && last.built !== derivations) throw new Error(`expected ${derivations} derivations built, the app saw ${last.built}`);
    const b = median(bareTimes);
    const a = median(appTimes);
    process.stdout.write(`build of ${derivations} derivations (${linesPerDerivation} log lines each), median of ${rounds}:\n`);
    process.stdout.write(`  bare nix build:           ${(b / 1000).toFixed(2)} s\n`);
    process.stdout.write(`  fleet build.start job:    ${(a / 1000).toFixed(2)} s  (${last?.progressEvents} progress events, ${last?.logLines} log lines)\n`);
    process.stdout.write(`  ratio app/bare (wall):    ${(a / b).toFixed(3)}  (overhead ${(((a - b) / b) * 100).toFixed(1)}%, goal < 5%; min/min ${(Math.min(...appTimes) / Math.min(...bareTimes)).toFixed(3)})\n`);
    const c = median(appCpu);
    process.stdout.write(`  app process CPU (parse, events, log file): ${(c / 1000).toFixed(2)} s = ${((c / b) * 100).toFixed(1)}% of the bare build's wall time\n`);
    process.stdout.write(`  load average now: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores (wall ratios are noisy on a busy machine)\n`);

    // The parser alone on a recorded stream of the same build: its CPU cost, free of build noise.
    const lines = recordStream(dir, env);
    const started = performance.now();
    const model = new BuildProgressModel('bench', dir, () => undefined);
    for (const line of lines) {
      model.feed(line);
      if (model.dirty) model.snapshot();
    }
    const parseMs = performance.now() - started;
    process.stdout.write(`  parser alone: ${lines.length} internal-json lines in ${parseMs.toFixed(1)} ms (snapshot after every line), ${((parseMs / b) * 100).toFixed(2)}% of the bare build\n`);
    if (a / b > 1.05) process.stdout.write('  NOTE: wall overhead above the 5% goal in this run\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
