/**
 * Deploy benchmarks (issue 6), against lab hosts (tests/harness):
 *  1. closure copy of ~200 paths / ~300 MB to one host: ours (ssh2, one serve-protocol
 *     stream) vs `nix-copy-closure --to` over OpenSSH vs the raw limit (`cat` of the same
 *     bytes through `ssh host cat >/dev/null`), each onto a fresh host;
 *  2. unchanged re-deploy of one host (whole job: eval, build check, pre-flight, copy
 *     check, activation, confirmation over a new connection);
 *  3. 20 hosts: one `fleet` deploy vs sequential shell loops (what a user scripts by hand):
 *     nix-copy-closure + ssh activate with the out paths given, and the nixos-rebuild
 *     steps (nix build per host, copy, activate); each onto 20 fresh hosts, with CPU time.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassphraseCache } from '../../src-main/core/ssh/auth';
import { SshConnection } from '../../src-main/core/ssh/connection';
import { HostSession } from '../../src-main/core/deploy/host-session';
import { copyClosure } from '../../src-main/core/deploy/copy-closure';
import { startDeployWorld, type DeployWorld } from '../integration/deploy-world';
import { buildBenchClosure } from './deploy-closure';

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function run(program: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): void {
  const result = spawnSync(program, [...args], { env, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed: ${result.stderr}`);
}

function timed(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

/** "preflight 0.21 s, build 0.50 s, ..." : each stage's median duration over the targets. */
function stageMedians(outcomes: readonly { stages: readonly { name: string; startedAt: number; finishedAt?: number }[] }[]): string {
  const byStage = new Map<string, number[]>();
  for (const o of outcomes) for (const s of o.stages) byStage.set(s.name, [...(byStage.get(s.name) ?? []), (s.finishedAt ?? s.startedAt) - s.startedAt]);
  return [...byStage.entries()]
    .map(([name, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return `${name} ${secs(sorted[Math.floor(sorted.length / 2)]!)}`;
    })
    .join(', ');
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function copyBench(): Promise<void> {
  // Three rounds, each onto fresh hosts, interleaved so machine load hits every variant alike.
  const rounds = 5;
  const names = Array.from({ length: rounds }, (_, r) => [`ours-${r}`, `dump-${r}`, `ncc-${r}`]).flat();
  const world = await startDeployWorld({ names: [...names, 'raw'] });
  try {
    // FLEET_BENCH_LINK=1gbit (or 100mbit...) shapes every host's link as on a LAN (tc tbf).
    const link = process.env.FLEET_BENCH_LINK;
    if (link) {
      for (const host of world.lab.hosts) await host.slowLink({ rate: link });
      process.stdout.write(`links shaped to ${link}\n`);
    }
    const closure = buildBenchClosure({ count: 200, bytes: 1_500_000, salt: `bench-${Date.now()}` });
    process.stdout.write(`closure: ${closure.paths} paths, ${(closure.bytes / 1e6).toFixed(0)} MB (${closure.root})\n`);
    const sshEnv = { ...world.env, NIX_SSHOPTS: `-F ${world.lab.sshConfigPath}` };
    const ours = async (host: string, narSource?: 'nix-store'): Promise<number> => {
      const connection = await SshConnection.open({
        host,
        home: world.home,
        appKnownHosts: path.join(world.dataDir, 'known_hosts'),
        passphrases: new PassphraseCache(),
        askUnknownKey: async () => false,
      });
      try {
        const started = performance.now();
        const result = await copyClosure(new HostSession(connection, { kind: 'root' }), [closure.root], { env: world.env, ...(narSource ? { narSource } : {}) });
        if (result.copiedPaths !== closure.paths) throw new Error(`copied ${result.copiedPaths} of ${closure.paths} paths`);
        return performance.now() - started;
      } finally {
        connection.close();
      }
    };
    const times = { ours: [] as number[], dump: [] as number[], ncc: [] as number[] };
    // Every copy writes 300 MB into a host store on the same disk: flush the dirty pages of the
    // one before, or the writeback of earlier copies throttles whichever runs later.
    const settle = () => run('sync', [], world.env);
    for (let r = 0; r < rounds; r++) {
      // Each round starts with a different variant: whichever runs first in a round tends to be quickest.
      const variants = [
        async () => void times.ncc.push(timed(() => run('nix-copy-closure', ['--to', `ncc-${r}`, closure.root], sshEnv))),
        async () => void times.ours.push(await ours(`ours-${r}`)),
        async () => void times.dump.push(await ours(`dump-${r}`, 'nix-store')),
      ];
      for (let i = 0; i < variants.length; i++) {
        settle();
        await variants[(i + r) % variants.length]!();
      }
    }
    settle();
    const paths = spawnSync('nix-store', ['-qR', closure.root], { encoding: 'utf8' }).stdout.trim().split('\n');
    const nar = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-nar-')), 'closure.nar');
    fs.writeFileSync(nar, spawnSync('nix-store', ['--export', ...paths], { maxBuffer: 1024 * 1024 * 1024 }).stdout);
    const raw = timed(() => run('sh', ['-c', 'ssh -F "$1" raw "cat > /dev/null" < "$2"', 'sh', world.lab.sshConfigPath, nar], sshEnv));
    fs.rmSync(path.dirname(nar), { recursive: true, force: true });
    const [mine, ncc] = [median(times.ours), median(times.ncc)];
    const all = (v: number[]) => v.map((t) => (t / 1000).toFixed(2)).join(' / ');
    process.stdout.write(
      [
        `copy, ours (ssh2, one host serve session, NARs serialised here):  median ${secs(mine)}  (${all(times.ours)})  -> ${(ncc / mine).toFixed(2)}x nix-copy-closure's speed`,
        `copy, ours with NARs from a local nix-store --serve instead:      median ${secs(median(times.dump))}  (${all(times.dump)})  -> ${(ncc / median(times.dump)).toFixed(2)}x`,
        `copy, nix-copy-closure --to (OpenSSH):                            median ${secs(ncc)}  (${all(times.ncc)})`,
        `raw limit, cat of the exported bytes | ssh host cat >/dev/null:   ${secs(raw)}  -> ours takes ${(mine / raw).toFixed(2)}x the raw time`,
        '',
      ].join('\n'),
    );
  } finally {
    await world.stop();
  }
}

async function redeployBench(): Promise<void> {
  const world = await startDeployWorld({ names: ['zephyrus'] });
  try {
    const first = await world.deploy({ targets: ['zephyrus'] });
    if (first.job.status !== 'succeeded') throw new Error(`first deploy failed: ${JSON.stringify(first.job.error)}`);
    const core = world.core();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const { job, record } = await world.deploy({ targets: ['zephyrus'] }, { core });
      times.push(performance.now() - started);
      if (job.status !== 'succeeded' || record?.outcomes[0]?.copiedPaths !== 0) throw new Error('the re-deploy copied something or failed');
    }
    times.sort((a, b) => a - b);
    const last = await world.deploy({ targets: ['zephyrus'] }, { core });
    process.stdout.write(`stages of one unchanged re-deploy: ${stageMedians(last.record?.outcomes ?? [])}\n`);
    const outcome = last.record?.outcomes[0];
    const withoutBuild = (outcome?.stages ?? []).filter((s) => s.name !== 'build').reduce((n, s) => n + ((s.finishedAt ?? s.startedAt) - s.startedAt), 0);
    process.stdout.write(`  of which everything but the build stage (eval/build check): ${secs(withoutBuild)}\n`);
    process.stdout.write(`unchanged re-deploy of 1 host, whole job (eval + build check + pre-flight + copy check + activate + confirm), 5 runs: median ${secs(times[2]!)}, best ${secs(times[0]!)}\n\n`);
  } finally {
    await world.stop();
  }
}

const twenty = ['zephyrus', 'lg-laptop', 'moonlight', 'docker-node', ...Array.from({ length: 16 }, (_, i) => `host-${String(i + 5).padStart(2, '0')}`)];

function addSystems(dir: string): void {
  for (const name of twenty.slice(4)) {
    const target = path.join(dir, 'systems', name);
    fs.cpSync(path.join(dir, 'systems', 'lg-laptop'), target, { recursive: true });
    const file = path.join(target, 'default.nix');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/networking\.hostName = "[^"]*";/, `networking.hostName = "${name}";`));
  }
}

/** Build the 20 systems of the world's checkout; their out paths in host order. */
function buildAll(world: DeployWorld): string[] {
  const built = spawnSync(
    'nix',
    ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', '', 'build', '--no-link', '--json', ...twenty.map((n) => `.#nixosConfigurations.${n}.config.system.build.toplevel`)],
    { cwd: world.checkout, encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(built.stderr);
  return (JSON.parse(built.stdout) as { outputs: { out: string } }[]).map((b) => b.outputs.out);
}

/** CPU time (all processes, all cores) in ms, from /proc/stat: user + nice + system + irq + softirq. */
function cpuBusyMs(): number {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const tick = 1000 / 100; // USER_HZ
  return ((fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0) + (fields[5] ?? 0) + (fields[6] ?? 0)) * tick;
}

/** CPU time of this process and its reaped children (the deployer's side: node, local nix), in ms. */
function selfCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // utime, stime, cutime, cstime are fields 14-17 of the line, 12-15 after "pid (comm) ".
  return ((fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0)) * 10;
}

/**
 * Twenty fresh hosts with every system built beforehand, the links shaped as asked
 * (FLEET_BENCH_LINK rate, FLEET_BENCH_RTT added round trip in ms).
 */
async function twentyHosts(): Promise<{ world: DeployWorld; outs: string[] }> {
  const world = await startDeployWorld({ names: twenty, editCheckout: addSystems });
  const rate = process.env.FLEET_BENCH_LINK;
  const delayMs = Number(process.env.FLEET_BENCH_RTT ?? 0);
  if (rate || delayMs > 0) for (const host of world.lab.hosts) await host.slowLink({ ...(rate ? { rate } : {}), ...(delayMs > 0 ? { delayMs } : {}) });
  return { world, outs: buildAll(world) };
}

async function timedLoop(script: string, withPaths: boolean): Promise<{ ms: number; cpuMs: number }> {
  const { world, outs } = await twentyHosts();
  try {
    const args = withPaths ? twenty.flatMap((h, i) => [h, outs[i]!]) : twenty;
    const cpu = cpuBusyMs();
    const ms = timed(() => run('sh', ['-c', script, 'sh', world.lab.sshConfigPath, ...args], { ...world.env, FLEET_CHECKOUT: world.checkout }));
    return { ms, cpuMs: cpuBusyMs() - cpu };
  } finally {
    await world.stop();
  }
}

async function manyBench(): Promise<void> {
  const rtt = Number(process.env.FLEET_BENCH_RTT ?? 0);
  if (rtt > 0 || process.env.FLEET_BENCH_LINK) process.stdout.write(`links: ${process.env.FLEET_BENCH_LINK ?? 'no rate limit'}, +${rtt} ms round trip per host\n`);
  // 1. The tightest hand-written loop: every out path known beforehand, copy + activate.
  const pathsLoop = await timedLoop(
    [
      'cfg=$1; shift',
      'export NIX_SSHOPTS="-F $cfg"',
      'while [ $# -gt 0 ]; do',
      '  host=$1; out=$2; shift 2',
      '  nix-copy-closure --to "$host" "$out"',
      '  ssh -F "$cfg" "$host" "nix-env -p /nix/var/nix/profiles/system --set $out && $out/bin/switch-to-configuration switch" >/dev/null',
      'done',
    ].join('\n'),
    true,
  );
  // 2. What nixos-rebuild --target-host does per host: build (here: evaluate, all is built), copy, set the profile, switch.
  const rebuildLoop = await timedLoop(
    [
      'cfg=$1; shift',
      'export NIX_SSHOPTS="-F $cfg"',
      'cd "$FLEET_CHECKOUT"; links=$(mktemp -d)',
      'for host in "$@"; do',
      '  nix --extra-experimental-features "nix-command flakes" build --option substituters "" -o "$links/result-$host" ".#nixosConfigurations.$host.config.system.build.toplevel"',
      '  out=$(readlink "$links/result-$host")',
      '  nix-copy-closure --to "$host" "$out"',
      '  ssh -F "$cfg" "$host" "nix-env -p /nix/var/nix/profiles/system --set $out && $out/bin/switch-to-configuration switch" >/dev/null',
      'done',
      'rm -rf "$links"',
    ].join('\n'),
    false,
  );
  // 3. One deploy of all 20 (evaluation, pre-flight, copy, activation, magic-rollback confirmation).
  const { world } = await twentyHosts();
  try {
    const cpu = cpuBusyMs();
    const own = selfCpuMs();
    const started = performance.now();
    const { job, record } = await world.deploy({ targets: ['all'], parallel: 8 });
    const ours = performance.now() - started;
    const oursCpu = cpuBusyMs() - cpu;
    const deployerCpu = selfCpuMs() - own;
    if (job.status !== 'succeeded') throw new Error(`deploy failed: ${JSON.stringify(job.error)}`);
    const cpuNote = (c: number, wall: number) => `CPU ${secs(c)} (${(c / wall).toFixed(1)} cores busy)`;
    process.stdout.write(`stages, median over the 20 hosts: ${stageMedians(record?.outcomes ?? [])}\n`);
    process.stdout.write(
      [
        `20 hosts, sequential loop, out paths given (nix-copy-closure + ssh switch):        ${secs(pathsLoop.ms)}  ${cpuNote(pathsLoop.cpuMs, pathsLoop.ms)}`,
        `20 hosts, sequential loop, nixos-rebuild steps (nix build + copy + ssh switch):    ${secs(rebuildLoop.ms)}  ${cpuNote(rebuildLoop.cpuMs, rebuildLoop.ms)}`,
        `20 hosts, one deploy (parallel 8, eval, pre-flight, copy, activate, confirm):      ${secs(ours)}  ${cpuNote(oursCpu, ours)}`,
        `  -> ${(pathsLoop.ms / ours).toFixed(1)}x faster than the loop with paths given, ${(rebuildLoop.ms / ours).toFixed(1)}x faster than the nixos-rebuild-style loop`,
        `  (every host's sshd, nix-store and activation runs on this machine's ${os.cpus().length} cores too: the deploy cannot finish before its CPU time / cores = ${secs(oursCpu / os.cpus().length)};`,
        `   of the ${secs(oursCpu)}, ${secs(deployerCpu)} is the deployer's own side (node and its local nix processes), the rest the 20 hosts' work)`,
        '',
      ].join('\n'),
    );
  } finally {
    await world.stop();
  }
}

export default async function deployBench(): Promise<void> {
  const only = process.env.FLEET_BENCH_ONLY;
  if (!only || only === 'copy') await copyBench();
  if (!only || only === 'redeploy') await redeployBench();
  if (!only || only === 'many') await manyBench();
}
