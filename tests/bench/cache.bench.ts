import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bytesThroughThisMachine, joinLan } from '../harness/hosts/index.js';
import { makeCacheKey, startAgent, trustCache } from '../integration/cache-world';
import { startDeployWorld, type DeployWorld } from '../integration/deploy-world';
import { formatBytes } from '../../src-main/shared/units';

/**
 * N hosts whose systems share most of their closure, deployed (a) with every byte sent from
 * this machine, (b) through the homelab's binary cache: the closures pushed once to a lab
 * host serving ssh://cache, every host trusting its key and fetching from it over the lab
 * LAN, and (c) through a build host: every system's meta.json names the lab host "builder",
 * which builds all N in one nix-store --realise and sends each closure to its host over the
 * LAN. Bytes through this machine's links (its veths' counters, the push included) and wall
 * time (build included in (c): the build is the build host's), with the ratios.
 * FLEET_BENCH_CACHE_HOSTS sets N (default 10); FLEET_BENCH_CACHE_ONLY=direct|cache|build-host
 * runs one of them.
 */
const hostCount = Number(process.env.FLEET_BENCH_CACHE_HOSTS ?? 10);
const nixFlags = ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', ''];

function hostNames(n: number): string[] {
  const base = ['zephyrus', 'lg-laptop', 'moonlight', 'docker-node'];
  return [...base.slice(0, n), ...Array.from({ length: Math.max(0, n - base.length) }, (_, i) => `host-${String(i + 5).padStart(2, '0')}`)];
}

/** Systems for the extra hosts: copies of lg-laptop with their own host name (the closure is shared); with a build host, every system names it. */
function addSystems(names: readonly string[], buildHost?: string) {
  return (dir: string): void => {
    if (buildHost) {
      for (const name of names) {
        const meta = path.join(dir, 'systems', name, 'meta.json');
        if (!fs.existsSync(meta)) continue;
        const parsed = JSON.parse(fs.readFileSync(meta, 'utf8')) as { deploy?: Record<string, unknown> };
        fs.writeFileSync(meta, JSON.stringify({ ...parsed, deploy: { ...parsed.deploy, buildHost } }));
      }
    }
    for (const name of names.filter((n) => !fs.existsSync(path.join(dir, 'systems', n)))) {
      const target = path.join(dir, 'systems', name);
      fs.cpSync(path.join(dir, 'systems', 'lg-laptop'), target, { recursive: true });
      const file = path.join(target, 'default.nix');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/networking\.hostName = "[^"]*";/, `networking.hostName = "${name}";`));
      if (buildHost) fs.writeFileSync(path.join(target, 'meta.json'), JSON.stringify({ system: 'x86_64-linux', deploy: { buildHost } }));
    }
  };
}

function buildAll(world: DeployWorld, names: readonly string[]): string[] {
  const built = spawnSync('nix', [...nixFlags, 'build', '--no-link', '--json', ...names.map((n) => `.#nixosConfigurations.${n}.config.system.build.toplevel`)], { cwd: world.checkout, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(built.stderr);
  return (JSON.parse(built.stdout) as { outputs: { out: string } }[]).map((b) => b.outputs.out);
}

interface Run {
  readonly ms: number;
  readonly bytes: number;
}

async function deployAll(world: DeployWorld, names: readonly string[]): Promise<Run> {
  const before = await bytesThroughThisMachine(world.lab.record);
  const started = Date.now();
  const { job } = await world.deploy({ targets: [...names], parallel: names.length });
  if (job.status !== 'succeeded') throw new Error(`deploy failed: ${JSON.stringify(job.error)}`);
  return { ms: Date.now() - started, bytes: (await bytesThroughThisMachine(world.lab.record)) - before };
}

async function throughThisMachine(names: readonly string[]): Promise<Run & { closureBytes: number }> {
  const world = await startDeployWorld({ names: [...names], editCheckout: addSystems(names) });
  try {
    const outs = buildAll(world, names);
    const closureBytes = Number(execFileSync('nix', [...nixFlags, 'path-info', '--closure-size', outs[0]!], { encoding: 'utf8' }).trim().split(/\s+/).pop());
    return { ...(await deployAll(world, names)), closureBytes };
  } finally {
    await world.stop();
  }
}

async function throughBuildHost(names: readonly string[]): Promise<Run & { sentByBuildHost: number }> {
  const world = await startDeployWorld({ names: [...names, 'builder'], editCheckout: addSystems(names, 'builder') });
  let stopAgent: (() => void) | undefined;
  try {
    await joinLan(world.lab.record);
    stopAgent = startAgent(world);
    world.git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'every system builds on builder', '--allow-empty');
    const before = await bytesThroughThisMachine(world.lab.record);
    const started = Date.now();
    const { job, record } = await world.deploy({ targets: [...names], parallel: names.length });
    if (job.status !== 'succeeded') throw new Error(`deploy failed: ${JSON.stringify(job.error)}`);
    const outcomes = record?.outcomes ?? [];
    if (!outcomes.every((o) => o.builtOn === 'builder')) throw new Error(`not every system was built on builder: ${JSON.stringify(outcomes.map((o) => [o.target, o.builtOn]))}`);
    const sentByBuildHost = outcomes.reduce((n, o) => n + (o.copiedBytes ?? 0), 0);
    return { ms: Date.now() - started, bytes: (await bytesThroughThisMachine(world.lab.record)) - before, sentByBuildHost };
  } finally {
    stopAgent?.();
    await world.stop();
  }
}

async function throughCache(names: readonly string[]): Promise<Run & { pushMs: number; pushBytes: number; sentByDeploy: number }> {
  const world = await startDeployWorld({ names: [...names, 'cache'], editCheckout: addSystems(names) });
  try {
    await joinLan(world.lab.record);
    const outs = buildAll(world, names);
    const key = makeCacheKey(world, 'fleet-bench-cache-1');
    await trustCache(world, names, key.publicKey);
    const core = world.core();
    await core.invoke('cache.set', { url: 'ssh://cache', secretKeyFile: key.secretKeyFile });
    // The push is part of the cost: the shared closure leaves this machine once.
    const before = await bytesThroughThisMachine(world.lab.record);
    const started = Date.now();
    const { jobId } = (await core.invoke('cache.push', { paths: outs })) as { jobId: string };
    const pushed = await core.context.jobs.wait(jobId);
    if (pushed.status !== 'succeeded') throw new Error(`push failed: ${JSON.stringify(pushed.error)}`);
    const pushMs = Date.now() - started;
    const pushBytes = (await bytesThroughThisMachine(world.lab.record)) - before;
    const { job, record } = await world.deploy({ targets: [...names], parallel: names.length }, { core });
    if (job.status !== 'succeeded') throw new Error(`deploy failed: ${JSON.stringify(job.error)}`);
    const sentByDeploy = (record?.outcomes ?? []).reduce((n, o) => n + (o.copiedBytes ?? 0), 0);
    return { ms: Date.now() - started, bytes: (await bytesThroughThisMachine(world.lab.record)) - before, pushMs, pushBytes, sentByDeploy };
  } finally {
    await world.stop();
  }
}

export default async function cacheBench(): Promise<void> {
  const names = hostNames(hostCount);
  const only = process.env.FLEET_BENCH_CACHE_ONLY;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [`${names.length} hosts (load before: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`];
  const direct = !only || only === 'direct' ? await throughThisMachine(names) : undefined;
  if (direct) lines.push(`  through this machine:  ${formatBytes(direct.bytes)} sent over this machine's links, ${secs(direct.ms)} (closure of the first system ${formatBytes(direct.closureBytes)})`);
  const cached = !only || only === 'cache' ? await throughCache(names) : undefined;
  if (cached) {
    lines.push(
      `  through the cache:     ${formatBytes(cached.bytes)} sent over this machine's links, ${secs(cached.ms)}: the push ${formatBytes(cached.pushBytes)} in ${secs(cached.pushMs)}, NARs the deploy still sent from here ${formatBytes(cached.sentByDeploy)}`,
    );
  }
  const built = !only || only === 'build-host' ? await throughBuildHost(names) : undefined;
  if (built) lines.push(`  through a build host:  ${formatBytes(built.bytes)} sent over this machine's links, ${secs(built.ms)} (build on the build host included); it sent ${formatBytes(built.sentByBuildHost)} to the hosts over the LAN`);
  if (direct && cached) lines.push(`  ratio cache/here: ${(cached.bytes / direct.bytes).toFixed(3)}x the bytes, ${(cached.ms / direct.ms).toFixed(2)}x the wall time`);
  if (direct && built) lines.push(`  ratio build host/here: ${(built.bytes / direct.bytes).toFixed(3)}x the bytes, ${(built.ms / direct.ms).toFixed(2)}x the wall time (here: built before the timed deploy)`);
  lines.push(`  load after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`, '');
  process.stdout.write(lines.join('\n'));
}
