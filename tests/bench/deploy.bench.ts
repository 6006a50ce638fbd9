/**
 * Deploy benchmarks (issue 6), against lab hosts (tests/harness):
 *  1. closure copy of ~200 paths / ~300 MB to one host: ours (ssh2, one serve-protocol
 *     stream) vs `nix-copy-closure --to` over OpenSSH vs the raw limits (`cat` of the same
 *     bytes through `ssh host cat >/dev/null`, and into a file on the host's disk), each onto
 *     a fresh host, each right after freeing page cache (see copyBench's settle);
 *  2. unchanged re-deploy of one host (whole job: eval, build check, pre-flight, copy
 *     check, activation, confirmation over a new connection);
 *  3. 20 hosts: one `fleet` deploy vs sequential shell loops (what a user scripts by hand):
 *     nix-copy-closure + ssh activate with the out paths given, and the nixos-rebuild
 *     steps (nix build per host, copy, activate); each onto 20 fresh hosts, with CPU time;
 *     three rounds of loop and deploy in alternating order (FLEET_BENCH_FLEET_ROUNDS), medians
 *     printed, each phase right after freeing page cache as the copies do.
 * Every lab here keeps its hosts' state on a journaled ext4 of the bench's own (host-disk.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassphraseCache } from '../../src-main/core/ssh/auth';
import { SshConnection } from '../../src-main/core/ssh/connection';
import { HostSession } from '../../src-main/core/deploy/host-session';
import { copyClosure, SharedClosures } from '../../src-main/core/deploy/copy-closure';
import type { TransferStats } from '../../src-main/core/deploy/serve-copy';
import { startDeployWorld, type DeployWorld } from '../integration/deploy-world';
import { buildBenchClosure } from './deploy-closure';
import { startHostDisk, type HostDisk } from './host-disk';
import { cpuLedger, cpuSnapshot, describeLedger, netnsId, sessionsEnded, type CpuLedger, type LabProcesses } from './cpu-ledger';
import { Accounting, describeHostCpu, ensureAccounting, hostCpuOf, processCpuMs, processName, type HostCpu } from './host-cpu';

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

/** "all pre-flights done at 1.20 s, ...": when each phase of the whole deploy ended, from its start (waits between stages are not stage time). */
function milestones(record: { startedAt: number; outcomes: readonly { stages: readonly { name: string; startedAt: number; finishedAt?: number }[] }[] } | undefined): string {
  if (!record) return '';
  const endOf = (name: string) => Math.max(...record.outcomes.flatMap((o) => o.stages.filter((s) => s.name === name).map((s) => (s.finishedAt ?? s.startedAt) - record.startedAt)));
  const last = Math.max(...record.outcomes.flatMap((o) => o.stages.map((s) => (s.finishedAt ?? s.startedAt) - record.startedAt)));
  return `; all pre-flights done at ${secs(endOf('preflight'))}, the build at ${secs(endOf('build'))}, the last host at ${secs(last)}`;
}

/** The item whose key is the median (the upper one of an even count). */
function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)]!;
}

const median = (values: readonly number[]) => medianBy(values, (v) => v);

/** "window wait 0.41 s, reading here 0.02 s, ...": how one of our copies sent its bytes (medians over the runs). */
function transferNote(list: readonly TransferStats[]): string {
  if (list.length === 0) return '';
  const med = (f: (t: TransferStats) => number) => median(list.map(f));
  const kib = (n: number) => `${Math.round(n / 1024)} KiB`;
  return (
    `sending ${secs(med((t) => t.sendMs))}: waiting for sshd's window ${secs(med((t) => t.windowWaitMs))}, waiting for NAR pieces read here ${secs(med((t) => t.readWaitMs))}, ` +
    `host's tail after the last byte ${secs(med((t) => t.tailMs))}; ${Math.round(med((t) => t.writes))} writes of ${kib(med((t) => t.bytes / t.writes))} on average, ` +
    `${Math.round(med((t) => t.adjustments))} window adjustments leaving ${kib(med((t) => t.medianBacklog))} unreturned (median), ${Math.round(med((t) => t.starved))} found sshd run dry; in flight ${kib(med((t) => t.allowance.start))} at the start, up to ${kib(med((t) => t.allowance.max))}, ${kib(med((t) => t.allowance.end))} at the end`
  );
}

/** Our copy's variants: the default in-flight allowance, the adaptive one (opt-in), NARs from a local nix-store --serve. */
type CopyVariant = 'ours' | 'adaptive' | 'dump' | 'ncc';

async function copyBench(): Promise<void> {
  // Five rounds, each onto fresh hosts, interleaved so machine load hits every variant alike.
  const rounds = Number(process.env.FLEET_BENCH_ROUNDS ?? 5);
  const names = Array.from({ length: rounds }, (_, r) => [`ours-${r}`, `adaptive-${r}`, `dump-${r}`, `ncc-${r}`]).flat();
  const world = await startDeployWorld({ names: [...names, 'raw'], ...labState() });
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
    const transfers = { ours: [] as TransferStats[], adaptive: [] as TransferStats[] };
    const ours = async (host: string, variant: Exclude<CopyVariant, 'ncc'>): Promise<number> => {
      const connection = await SshConnection.open({
        host,
        home: world.home,
        appKnownHosts: path.join(world.dataDir, 'known_hosts'),
        passphrases: new PassphraseCache(),
        askUnknownKey: async () => false,
      });
      try {
        const started = performance.now();
        const result = await copyClosure(new HostSession(connection, { kind: 'root' }), [closure.root], {
          env: world.env,
          ...(variant === 'dump' ? { narSource: 'nix-store' as const } : {}),
          ...(variant === 'adaptive' ? { inFlight: 'adaptive' as const } : {}),
        });
        const ms = performance.now() - started;
        if (result.copiedPaths !== closure.paths) throw new Error(`copied ${result.copiedPaths} of ${closure.paths} paths`);
        if (result.transfer && variant !== 'dump') transfers[variant].push(result.transfer);
        return ms;
      } finally {
        connection.close();
      }
    };
    const times = { ours: [] as number[], adaptive: [] as number[], dump: [] as number[], ncc: [] as number[] };
    // The host side of each copy (sshd, nix-store), from process accounting; this process's own CPU.
    const hostSide = { ours: [] as HostCpu[], adaptive: [] as HostCpu[], dump: [] as HostCpu[], ncc: [] as HostCpu[] };
    const ownCpu = { ours: [] as number[], adaptive: [] as number[], dump: [] as number[], ncc: [] as number[] };
    const accounted = async (which: CopyVariant, fn: () => Promise<void> | void) => {
      const cost = await measured(world, fn);
      ownCpu[which].push(cost.deployerCpuMs);
      if (cost.host) hostSide[which].push(cost.host);
    };
    // This machine's page cache, before anything below frees some of it (see pageCacheWriteCost).
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-pages-'));
    const pageCache = pageCacheWriteCost(scratch, closure.bytes);
    // Every copy writes 300 MB into a host store on the same disk: flush the dirty pages of the
    // one before, or the writeback of earlier copies throttles whichever runs later. Then free
    // more page cache than a copy fills, right before it: the host's import writes into memory
    // this VM already backs, as a real host writes into its RAM, instead of paying the
    // hypervisor's first touch of pages the VM gave back (the page-cache line below: ~0.7 s per
    // 300 MB here, and on a new machine nearly every page is such a page, which made the copy
    // figures depend on what ran before). Done alike before every variant and the raw limits.
    const warmBytes = closure.bytes * 2;
    const settle = () => settlePageCache(scratch, warmBytes, world.env);
    for (let r = 0; r < rounds; r++) {
      // Each round starts with a different variant: whichever runs first in a round tends to be quickest.
      const variants = [
        () => accounted('ncc', () => void times.ncc.push(timed(() => run('nix-copy-closure', ['--to', `ncc-${r}`, closure.root], sshEnv)))),
        () => accounted('ours', async () => void times.ours.push(await ours(`ours-${r}`, 'ours'))),
        () => accounted('adaptive', async () => void times.adaptive.push(await ours(`adaptive-${r}`, 'adaptive'))),
        () => accounted('dump', async () => void times.dump.push(await ours(`dump-${r}`, 'dump'))),
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
    // Each raw limit is the median of three sends, as the copies' figures are medians.
    const rawSend = async (sink: string) => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        settle();
        times.push(timed(() => run('sh', ['-c', `ssh -F "$1" raw "cat > ${sink}" < "$2"`, 'sh', world.lab.sshConfigPath, nar], sshEnv)));
        await world.lab.host('raw').exec(['rm', '-f', '/nix/var/fleet-bench-raw']);
      }
      return median(times);
    };
    const raw = await rawSend('/dev/null');
    // The same bytes landing in a file on the host's store disk, as a copy's must.
    const rawDisk = await rawSend('/nix/var/fleet-bench-raw');
    fs.rmSync(path.dirname(nar), { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
    const [mine, ncc] = [median(times.ours), median(times.ncc)];
    const all = (v: number[]) => v.map((t) => (t / 1000).toFixed(2)).join(' / ');
    process.stdout.write(
      [
        `copy, ours (ssh2, one host serve session, NARs serialised here):  median ${secs(mine)}  (${all(times.ours)})  -> ${(ncc / mine).toFixed(2)}x nix-copy-closure's speed`,
        `  ours, how it sent: ${transferNote(transfers.ours)}`,
        `copy, ours with the adaptive in-flight allowance (opt-in):        median ${secs(median(times.adaptive))}  (${all(times.adaptive)})  -> ${(ncc / median(times.adaptive)).toFixed(2)}x`,
        `  adaptive, how it sent: ${transferNote(transfers.adaptive)}`,
        `copy, ours with NARs from a local nix-store --serve instead:      median ${secs(median(times.dump))}  (${all(times.dump)})  -> ${(ncc / median(times.dump)).toFixed(2)}x`,
        `copy, nix-copy-closure --to (OpenSSH):                            median ${secs(ncc)}  (${all(times.ncc)})`,
        `raw limit, cat of the exported bytes | ssh host cat >/dev/null:   ${secs(raw)}  -> ours takes ${(mine / raw).toFixed(2)}x the raw time`,
        `raw limit onto the host's disk, ... | ssh host 'cat > file':      ${secs(rawDisk)}  -> ours takes ${(mine / rawDisk).toFixed(2)}x, nix-copy-closure ${(ncc / rawDisk).toFixed(2)}x`,
        `  this machine's page cache: writing ${(closure.bytes / 1e6).toFixed(0)} MB into pages not used lately cost ${secs(pageCache.fresh)} of system CPU, into pages just freed ${secs(pageCache.reused)} ` +
          `(a VM whose memory is backed on first touch); every copy above ran right after ${(warmBytes / 1e6).toFixed(0)} MB of page cache were freed, so its host wrote into the latter`,
        ...(['ours', 'adaptive', 'dump', 'ncc'] as const).flatMap((k) => {
          const list = hostSide[k];
          const label = { ncc: 'nix-copy-closure', dump: 'ours (local nix-store --serve)', adaptive: 'ours (adaptive)', ours: 'ours' }[k];
          const here = `this process and its children (node, ssh, local nix) ${secs(median(ownCpu[k]))}`;
          if (list.length === 0) return [`CPU per copy, ${label}: ${here}`];
          const med = (f: (h: HostCpu) => number) => secs(median(list.map(f)));
          return [`host CPU per copy, ${label}: sshd median ${med((h) => h.byClass.sshd)}, nix-store ${med((h) => h.byClass.nix)}, re-parented (a session's nix-store outliving its sshd) ${med((h) => h.reparentedMs)}; ${here}`];
        }),
        '',
      ].join('\n'),
    );
  } finally {
    await world.stop();
  }
}

/**
 * Flush dirty pages (earlier runs' writeback would throttle whichever runs next), then free
 * `bytes` of page cache right before a measured run, so the hosts' imports write into memory
 * this VM already backs (see copyBench). Done alike before every variant it compares.
 */
function settlePageCache(scratch: string, bytes: number, env: NodeJS.ProcessEnv): void {
  run('sync', [], env);
  writeFileOf(scratch, 'warm', bytes);
  fs.rmSync(path.join(scratch, 'warm'));
}

/** The NAR bytes of each out path's closure, summed over the outs (what fresh hosts import): one `nix path-info -r` for all, as a deploy reads them. */
async function closuresBytes(outs: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const closures = new SharedClosures(outs, { env });
  let total = 0;
  for (const out of outs) for (const info of (await closures.of(out)).values()) total += info.narSize;
  return total;
}

/** Write a file of `bytes` bytes into `dir`; the system CPU it took, ms. */
function writeFileOf(dir: string, name: string, bytes: number): number {
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  const before = process.cpuUsage().system;
  const fd = fs.openSync(path.join(dir, name), 'w');
  try {
    for (let left = bytes; left > 0; left -= chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  } finally {
    fs.closeSync(fd);
  }
  return (process.cpuUsage().system - before) / 1000;
}

/**
 * System CPU of writing `bytes` into new files in `dir` (a file system on the same disk as the
 * hosts' stores): into page-cache pages not used lately (after another file of the same size
 * took whatever was free), and into pages just freed (a file of that size deleted right before).
 * On a VM whose hypervisor backs guest memory on first touch and takes freed memory back (free
 * page reporting), the first costs several times the second; a host importing a closure pays it.
 */
function pageCacheWriteCost(dir: string, bytes: number): { fresh: number; reused: number } {
  const write = (name: string) => writeFileOf(dir, name, bytes);
  write('first');
  const fresh = write('second');
  fs.rmSync(path.join(dir, 'first'));
  const reused = write('third');
  for (const name of ['second', 'third']) fs.rmSync(path.join(dir, name), { force: true });
  return { fresh, reused };
}

/**
 * Six copies at once of moonlight's closure onto six fresh hosts, each variant in turn (the
 * default in-flight allowance, the adaptive one, sshd's whole 2 MiB window): host sshd CPU
 * from accounting, which the in-flight limit exists to keep low on a busy machine.
 */
async function parallelCopyBench(): Promise<void> {
  const variants = [
    { label: 'default (256 KiB, or by round trip on a long link)', inFlight: undefined },
    { label: 'adaptive (opt-in)', inFlight: 'adaptive' },
    { label: "sshd's 2 MiB window", inFlight: 2 * 1024 * 1024 },
  ] as const;
  const count = 6;
  const names = variants.flatMap((_, v) => Array.from({ length: count }, (__, i) => `par-${v}-${i}`));
  const world = await startDeployWorld({ names, ...labState() });
  try {
    const [root] = buildAll(world, ['moonlight']);
    const closureSize = spawnSync('nix', ['--extra-experimental-features', 'nix-command', 'path-info', '-rS', '--json', root!], { encoding: 'utf8' });
    const infos = JSON.parse(closureSize.stdout) as { narSize: number }[] | Record<string, { narSize: number }>;
    const list = Array.isArray(infos) ? infos : Object.values(infos);
    process.stdout.write(`${count} parallel copies of moonlight's closure (${list.length} paths, ${(list.reduce((n, i) => n + i.narSize, 0) / 1e6).toFixed(1)} MB) onto fresh hosts\n`);
    for (const [v, variant] of variants.entries()) {
      run('sync', [], world.env);
      const connections = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          SshConnection.open({ host: `par-${v}-${i}`, home: world.home, appKnownHosts: path.join(world.dataDir, 'known_hosts'), passphrases: new PassphraseCache(), askUnknownKey: async () => false }),
        ),
      );
      const transfers: TransferStats[] = [];
      try {
        const cost = await measured(world, async () => {
          await Promise.all(
            connections.map(async (connection) => {
              const result = await copyClosure(new HostSession(connection, { kind: 'root' }), [root!], { env: world.env, ...(variant.inFlight ? { inFlight: variant.inFlight } : {}) });
              if (result.transfer) transfers.push(result.transfer);
            }),
          );
          // Accounting records a process when it ends: let the sessions' sshd exit inside the phase.
          for (const connection of connections) connection.close();
          await new Promise((resolve) => setTimeout(resolve, 1000));
        });
        const host = cost.host ? `host sshd ${secs(cost.host.byClass.sshd)}, nix-store ${secs(cost.host.byClass.nix)}` : 'host CPU not accounted';
        process.stdout.write(`  ${variant.label}: ${secs(cost.ms)}; ${host}; this process ${secs(cost.deployerCpuMs)}\n    how they sent (medians): ${transferNote(transfers)}\n`);
      } finally {
        for (const connection of connections) connection.close();
      }
    }
    process.stdout.write('\n');
  } finally {
    await world.stop();
  }
}

async function redeployBench(): Promise<void> {
  const world = await startDeployWorld({ names: ['zephyrus'], ...labState() });
  try {
    const first = await world.deploy({ targets: ['zephyrus'] });
    if (first.job.status !== 'succeeded') throw new Error(`first deploy failed: ${JSON.stringify(first.job.error)}`);
    const core = world.core();
    // Default: the host runs exactly this generation, so the deploy says "already up to date";
    // with force it copies nothing but activates and confirms again (what the figure meant before).
    const series = async (force: boolean) => {
      const times: number[] = [];
      let last: Awaited<ReturnType<DeployWorld['deploy']>> | undefined;
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        last = await world.deploy({ targets: ['zephyrus'], ...(force ? { force: true } : {}) }, { core });
        times.push(performance.now() - started);
        const outcome = last.record?.outcomes[0];
        if (last.job.status !== 'succeeded' || (force ? outcome?.copiedPaths !== 0 : !outcome?.upToDate)) throw new Error(`the re-deploy (force ${force}) did not do what it should: ${JSON.stringify(outcome)}`);
      }
      times.sort((a, b) => a - b);
      return { times, stages: stageMedians(last?.record?.outcomes ?? []) };
    };
    const plain = await series(false);
    const forced = await series(true);
    process.stdout.write(`stages of one unchanged re-deploy ("already up to date"): ${plain.stages}\n`);
    process.stdout.write(`unchanged re-deploy of 1 host, whole job (eval + build check + pre-flight: already up to date), 5 runs: median ${secs(plain.times[2]!)}, best ${secs(plain.times[0]!)}\n`);
    process.stdout.write(`stages of one forced re-deploy: ${forced.stages}\n`);
    process.stdout.write(`forced re-deploy (--force) of 1 host, whole job (eval + build check + pre-flight + copy check + activate + confirm), 5 runs: median ${secs(forced.times[2]!)}, best ${secs(forced.times[0]!)}\n\n`);
  } finally {
    await world.stop();
  }
}

/** The fleet of the many-host bench: flake/'s four systems, then copies of lg-laptop (host-05, ...). */
function fleetNames(count: number): string[] {
  return ['zephyrus', 'lg-laptop', 'moonlight', 'docker-node', ...Array.from({ length: Math.max(0, count - 4) }, (_, i) => `host-${String(i + 5).padStart(2, '0')}`)].slice(0, count);
}

function addSystems(names: readonly string[]) {
  return (dir: string): void => {
    for (const name of names.slice(4)) {
      const target = path.join(dir, 'systems', name);
      fs.cpSync(path.join(dir, 'systems', 'lg-laptop'), target, { recursive: true });
      const file = path.join(target, 'default.nix');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/networking\.hostName = "[^"]*";/, `networking.hostName = "${name}";`));
    }
  };
}

/** Build the systems of the world's checkout; their out paths in host order. */
function buildAll(world: DeployWorld, names: readonly string[]): string[] {
  const built = spawnSync(
    'nix',
    ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', '', 'build', '--no-link', '--json', ...names.map((n) => `.#nixosConfigurations.${n}.config.system.build.toplevel`)],
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

/** CPU time of this process and its reaped children (the deployer's side: node, local nix; for the loops: sh, nix-copy-closure, ssh), in ms. */
function selfCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // utime, stime, cutime, cstime are fields 14-17 of the line, 12-15 after "pid (comm) ".
  return ((fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0)) * 10;
}

/** How a bench host's link and activation look (see linkModels). */
interface HostModel {
  readonly label: string;
  readonly rate?: string;
  readonly delayMs?: number;
  /** Seconds every switch-to-configuration spends waiting (systemd restarts), not computing. */
  readonly activationSeconds?: number;
}

/**
 * Real hosts: a home LAN (1 Gbit/s, 0.5 ms round trip) and a remote site (50 Mbit/s, 30 ms),
 * each with a 3 s activation (what restarting a few services takes). Rates are tc tbf on both
 * ends of each host's veth, round trips the harness's delay relay (this kernel has no netem).
 */
const linkModels: readonly HostModel[] = [
  { label: 'home LAN (1gbit, 0.5 ms, 3 s activation)', rate: '1gbit', delayMs: 0.5, activationSeconds: 3 },
  { label: 'remote site (50mbit, 30 ms, 3 s activation)', rate: '50mbit', delayMs: 30, activationSeconds: 3 },
];

/** Fresh hosts with every system built beforehand, links and activations shaped as `model` says. */
async function fleetHosts(names: readonly string[], model: HostModel): Promise<{ world: DeployWorld; outs: string[] }> {
  const world = await startDeployWorld({ names: [...names], editCheckout: addSystems(names), ...labState() });
  const { rate, delayMs = 0, activationSeconds = 0 } = model;
  for (const host of world.lab.hosts) {
    if (rate || delayMs > 0) await host.slowLink({ ...(rate ? { rate } : {}), ...(delayMs > 0 ? { delayMs } : {}) });
    if (activationSeconds > 0) await host.setActivationDelay(activationSeconds);
  }
  const outs = buildAll(world, names);
  const settle = Number(process.env.FLEET_BENCH_SETTLE_S ?? 0);
  if (settle > 0) await new Promise((r) => setTimeout(r, settle * 1000));
  if (warmFleet) {
    // Like every copy of copyBench: the hosts' imports write into memory this VM already backs.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-pages-'));
    fleetWarmBytes = 2 * (await closuresBytes(outs, world.env));
    settlePageCache(scratch, fleetWarmBytes, world.env);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { world, outs };
}

/** FLEET_BENCH_WARM=0 runs the fleet phases without freeing page cache first (as before 2026-12-03). */
const warmFleet = process.env.FLEET_BENCH_WARM !== '0';
let fleetWarmBytes = 0;

/** What one phase (a loop or a deploy) cost: wall time, the machine's CPU, the deployer's, the hosts'. */
interface PhaseCost {
  readonly ms: number;
  readonly machineCpuMs: number;
  /** This process and the children it waited for (node + local nix; for a loop: sh, nix-copy-closure, ssh). */
  readonly deployerCpuMs: number;
  readonly host?: HostCpu;
  /** Every process's CPU over the phase, long-lived ones and other people's included. */
  readonly ledger: CpuLedger;
}

/** The pids whose descendants are the lab's host-side processes: holders, sshd masters, link relays. */
function labRoots(world: DeployWorld): Set<number> {
  const roots = new Set<number>();
  for (const host of world.lab.hosts) {
    roots.add(host.holderPid);
    for (const file of ['run/sshd.pid', 'log/delay-relay.pid']) {
      const pid = fs.existsSync(path.join(host.dir, file)) ? Number(fs.readFileSync(path.join(host.dir, file), 'utf8').trim()) : 0;
      if (pid > 0) roots.add(pid);
    }
  }
  return roots;
}

/** The hosts' network namespaces and their long-lived processes by pid, for the CPU ledger. */
function labProcesses(world: DeployWorld): LabProcesses {
  const roles = new Map<number, string>();
  const pidIn = (dir: string, file: string) => (fs.existsSync(path.join(dir, file)) ? Number(fs.readFileSync(path.join(dir, file), 'utf8').trim()) : 0);
  for (const host of world.lab.hosts) {
    roles.set(host.holderPid, 'holder');
    for (const [file, role] of [
      ['run/sshd.pid', 'sshd (listener + every session it reaped)'],
      ['log/delay-relay.pid', 'link relay'],
      ['log/power.pid', 'power supervisor'],
    ] as const) {
      const pid = pidIn(host.dir, file);
      if (pid > 0) roles.set(pid, role);
    }
  }
  return { netns: new Set(world.lab.hosts.flatMap((h) => netnsId(h.netns) ?? [])), roles };
}

async function measured(world: DeployWorld, fn: () => Promise<void> | void): Promise<PhaseCost> {
  const roots = labRoots(world);
  const labs = labProcesses(world);
  const relayCpu = () => [...roots].reduce((n, pid) => n + (processName(pid) === 'node' ? processCpuMs(pid) : 0), 0);
  const acct = accounting ? Accounting.start() : undefined;
  const relay = relayCpu();
  const before = cpuSnapshot();
  const cpu = cpuBusyMs();
  const own = selfCpuMs();
  const started = performance.now();
  try {
    await fn();
  } catch (error) {
    acct?.stop();
    throw error;
  }
  const ms = performance.now() - started;
  const machineCpuMs = cpuBusyMs() - cpu;
  const deployerCpuMs = selfCpuMs() - own;
  // The ledger ends once the hosts' sessions have ended (their teardown is the phase's work too).
  const ended = await sessionsEnded(labs);
  const cost = { ms, machineCpuMs, deployerCpuMs, ledger: { ...cpuLedger(before, cpuSnapshot(), labs, process.pid), sessionsEnded: ended } };
  const records = acct?.stop();
  if (!records) return cost;
  const host = hostCpuOf(records, process.pid, roots);
  return { ...cost, host: { ...host, byClass: { ...host.byClass, relay: host.byClass.relay + relayCpu() - relay } } };
}

let accounting = false;

async function loopPhase(names: readonly string[], model: HostModel, script: string, withPaths: boolean): Promise<PhaseCost> {
  const { world, outs } = await fleetHosts(names, model);
  try {
    const args = withPaths ? names.flatMap((h, i) => [h, outs[i]!]) : names;
    return await measured(world, () => run('sh', ['-c', script, 'sh', world.lab.sshConfigPath, ...args], { ...world.env, FLEET_CHECKOUT: world.checkout }));
  } finally {
    await world.stop();
  }
}

async function deployPhase(names: readonly string[], model: HostModel, onStart?: () => void): Promise<{ cost: PhaseCost; stages: string }> {
  const { world } = await fleetHosts(names, model);
  try {
    let stages = '';
    const cost = await measured(world, async () => {
      onStart?.();
      // The bench's hosts by name: the example homelab may hold systems that have no lab host here (tv-box).
      const { job, record } = await world.deploy({ targets: [...names], parallel: 8 });
      if (job.status !== 'succeeded') throw new Error(`deploy failed: ${JSON.stringify(job.error)}`);
      stages = stageMedians(record?.outcomes ?? []) + milestones(record);
    });
    return { cost, stages };
  } finally {
    await world.stop();
  }
}

/** The tightest hand-written loop: every out path known beforehand, copy + activate. */
const pathsLoopScript = [
  'cfg=$1; shift',
  'export NIX_SSHOPTS="-F $cfg"',
  'while [ $# -gt 0 ]; do',
  '  host=$1; out=$2; shift 2',
  '  nix-copy-closure --to "$host" "$out"',
  '  ssh -F "$cfg" "$host" "nix-env -p /nix/var/nix/profiles/system --set $out && $out/bin/switch-to-configuration switch" >/dev/null',
  'done',
].join('\n');

/** What nixos-rebuild --target-host does per host: build (here: evaluate, all is built), copy, set the profile, switch. */
const rebuildLoopScript = [
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
].join('\n');

const cpuNote = (c: PhaseCost) => `CPU ${secs(c.machineCpuMs)} (${(c.machineCpuMs / c.ms).toFixed(1)} cores busy)`;
const hostNote = (c: PhaseCost) => `${c.host ? `    ${describeHostCpu(c.host)}\n` : ''}${describeLedger(c.ledger)}\n`;

async function manyBench(): Promise<void> {
  const count = Number(process.env.FLEET_BENCH_HOSTS ?? 20);
  const names = fleetNames(count);
  const n = `${count} hosts`;
  // The same machine-only run as before (no shaped links, instant activation), so runs stay comparable.
  const rtt = Number(process.env.FLEET_BENCH_RTT ?? 0);
  const plain: HostModel = { label: 'this machine', ...(process.env.FLEET_BENCH_LINK ? { rate: process.env.FLEET_BENCH_LINK } : {}), ...(rtt > 0 ? { delayMs: rtt } : {}) };
  if (rtt > 0 || process.env.FLEET_BENCH_LINK) process.stdout.write(`links: ${process.env.FLEET_BENCH_LINK ?? 'no rate limit'}, +${rtt} ms round trip per host\n`);
  // FLEET_BENCH_DEPLOYS_ONLY=N: N deploys and no loop, one line each (to try a change; no ratio).
  const deploysOnly = Number(process.env.FLEET_BENCH_DEPLOYS_ONLY ?? 0);
  for (let r = 0; r < deploysOnly; r++) {
    let gcMs = 0;
    let gcs = 0;
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gcMs += e.duration;
        gcs++;
      }
    });
    // FLEET_BENCH_PERF=<file>: `perf record -a -g` of the whole machine while the deploy runs.
    let perf: ChildProcess | undefined;
    // FLEET_BENCH_TIMELINE=1: the machine's busy cores in every 100 ms of the deploy (/proc/stat).
    const busy: number[] = [];
    let sampler: ReturnType<typeof setInterval> | undefined;
    const { cost } = await deployPhase(names, plain, () => {
      if (process.env.FLEET_BENCH_TIMELINE) {
        let last = cpuBusyMs();
        sampler = setInterval(() => {
          const now = cpuBusyMs();
          busy.push((now - last) / 100);
          last = now;
        }, 100);
      }
      gc.observe({ entryTypes: ['gc'] });
      if (process.env.FLEET_BENCH_PERF) perf = spawn('perf', ['record', '-a', '-g', '-F', '997', '-o', `${process.env.FLEET_BENCH_PERF}.${r}`], { stdio: 'ignore' });
    });
    gc.disconnect();
    if (sampler) {
      clearInterval(sampler);
      process.stdout.write(`  busy cores per 100 ms: ${busy.map((b) => b.toFixed(1)).join(' ')}\n`);
    }
    if (perf) {
      perf.kill('SIGINT');
      await new Promise((resolve) => perf!.once('exit', resolve));
    }
    process.stdout.write(`  garbage collection during it: ${gcs} pauses, ${gcMs.toFixed(0)} ms\n`);
    process.stdout.write(
      `${n}, one deploy: ${secs(cost.ms)}  ${cpuNote(cost)}; this process ${secs(cost.ledger.bench)} + children ${secs(cost.ledger.benchChildren)}, lab hosts ${secs([...cost.ledger.lab.values()].reduce((a, b) => a + b, 0))}${cost.host ? `, ${cost.host.processes} host processes; this process's children: ${cost.host.deployerChildren.map(([c, k, ms]) => `${k} ${c} ${secs(ms)}`).join(', ')}` : ''}\n`,
    );
  }
  if (deploysOnly > 0) return;
  if (process.env.FLEET_BENCH_MODELS !== 'only') {
    // Rounds of (loop with paths, deploy), the order alternating, each phase onto fresh hosts;
    // the figures are the medians, so one burst of this VM's noise moves neither side alone.
    const rounds = Math.max(1, Number(process.env.FLEET_BENCH_FLEET_ROUNDS ?? 3));
    const loops: PhaseCost[] = [];
    const deploys: { cost: PhaseCost; stages: string }[] = [];
    for (let r = 0; r < rounds; r++) {
      const pair = [async () => void loops.push(await loopPhase(names, plain, pathsLoopScript, true)), async () => void deploys.push(await deployPhase(names, plain))];
      for (const phase of r % 2 === 0 ? pair : pair.reverse()) await phase();
    }
    const rebuildLoop = await loopPhase(names, plain, rebuildLoopScript, false);
    const pathsLoop = medianBy(loops, (c) => c.ms);
    const { cost: ours, stages } = medianBy(deploys, (d) => d.cost.ms);
    process.stdout.write(`stages, median over the ${n} (the median deploy): ${stages}\n`);
    process.stdout.write(
      [
        `${n}, sequential loop, out paths given (nix-copy-closure + ssh switch):        ${secs(pathsLoop.ms)}  ${cpuNote(pathsLoop)}`,
        hostNote(pathsLoop).trimEnd(),
        `${n}, sequential loop, nixos-rebuild steps (nix build + copy + ssh switch):    ${secs(rebuildLoop.ms)}  ${cpuNote(rebuildLoop)}`,
        hostNote(rebuildLoop).trimEnd(),
        `${n}, one deploy (parallel 8, eval, pre-flight, copy, activate, confirm):      ${secs(ours.ms)}  ${cpuNote(ours)}`,
        hostNote(ours).trimEnd(),
        `  -> ${(pathsLoop.ms / ours.ms).toFixed(1)}x faster than the loop with paths given, ${(rebuildLoop.ms / ours.ms).toFixed(1)}x faster than the nixos-rebuild-style loop`,
        `  machine CPU: deploy ${secs(ours.machineCpuMs)} vs loop with paths ${secs(pathsLoop.machineCpuMs)} (${(ours.machineCpuMs / pathsLoop.machineCpuMs).toFixed(2)}x)`,
        `  deployer's own side (this process and its local nix): ${secs(ours.deployerCpuMs)} = ${secs(ours.deployerCpuMs / count)} per host; the loop's (sh, nix-copy-closure, ssh): ${secs(pathsLoop.deployerCpuMs)} = ${secs(pathsLoop.deployerCpuMs / count)} per host`,
        `  ${rounds} rounds (loop / deploy, each onto fresh hosts): ${loops.map((l, i) => `${secs(l.ms)} / ${secs(deploys[i]!.cost.ms)} = ${(l.ms / deploys[i]!.cost.ms).toFixed(1)}x`).join(', ')}; the lines above are the median loop and the median deploy`,
        warmFleet
          ? `  each phase above (and each link model below) started right after ${(fleetWarmBytes / 1e6).toFixed(0)} MB of page cache were freed (twice what its hosts import)`
          : '  the phases ran without freeing page cache first (FLEET_BENCH_WARM=0)',
        '',
      ]
        .filter((l) => l !== '')
        .join('\n') + '\n\n',
    );
  }
  if (process.env.FLEET_BENCH_MODELS === 'skip') return;
  for (const model of linkModels) {
    const loop = await loopPhase(names, model, pathsLoopScript, true);
    const { cost: ours, stages } = await deployPhase(names, model);
    process.stdout.write(
      [
        `link model ${model.label}, ${n}:`,
        `  loop with paths given: ${secs(loop.ms)}  ${cpuNote(loop)}`,
        hostNote(loop).trimEnd(),
        `  one deploy (parallel 8): ${secs(ours.ms)}  ${cpuNote(ours)}; stages: ${stages}`,
        hostNote(ours).trimEnd(),
        `  -> ratio loop / deploy ${(loop.ms / ours.ms).toFixed(1)}x; deployer CPU per host ${secs(ours.deployerCpuMs / count)} vs the loop's ${secs(loop.deployerCpuMs / count)}`,
      ]
        .filter((l) => l !== '')
        .join('\n') + '\n\n',
    );
  }
}

/** Where every lab of this bench keeps its hosts' state (host-disk.ts). */
let hostDisk: HostDisk | undefined;
const labState = () => (hostDisk ? { stateDir: hostDisk.stateDir() } : {});

export default async function deployBench(): Promise<void> {
  hostDisk = await startHostDisk();
  try {
    await deployBenchOn();
  } finally {
    await hostDisk.stop();
    hostDisk = undefined;
  }
}

async function deployBenchOn(): Promise<void> {
  const only = process.env.FLEET_BENCH_ONLY;
  process.stdout.write(`${hostDisk?.description}\n`);
  accounting = process.env.FLEET_BENCH_ACCT !== '0' && ensureAccounting();
  if (!accounting) process.stdout.write('process accounting (Debian acct) not available: host-side CPU is not split out\n');
  // ssh2's optional native crypto binding (built by its install script when a compiler is there) halves this process's CPU per copied byte.
  const binding = (createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean }).bindingAvailable;
  process.stdout.write(`ssh2's native binding ${binding ? 'loaded' : 'absent'}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  if (!only || only === 'copy') await copyBench();
  if (only === 'copy-parallel') await parallelCopyBench();
  if (!only || only === 'redeploy') await redeployBench();
  if (!only || only === 'many') await manyBench();
}
