import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bytesThroughThisMachine, joinLan } from '../harness/hosts/index.js';
import { startDeployWorld, type DeployWorld } from '../integration/deploy-world';
import { formatBytes } from '../../src-main/shared/units';

/**
 * N hosts whose systems share most of their closure, deployed (a) with every byte sent from
 * this machine, and (b) through the homelab's binary cache: the closures pushed once to a
 * lab host serving ssh://cache, every host trusting its key and fetching from it over the
 * lab LAN. Bytes through this machine's links (its veths' counters, the push included) and
 * wall time, with the ratio. FLEET_BENCH_CACHE_HOSTS sets N (default 10).
 */
const hostCount = Number(process.env.FLEET_BENCH_CACHE_HOSTS ?? 10);
const nixFlags = ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', ''];

function hostNames(n: number): string[] {
  const base = ['zephyrus', 'lg-laptop', 'moonlight', 'docker-node'];
  return [...base.slice(0, n), ...Array.from({ length: Math.max(0, n - base.length) }, (_, i) => `host-${String(i + 5).padStart(2, '0')}`)];
}

/** Systems for the extra hosts: copies of lg-laptop with their own host name (the closure is shared). */
function addSystems(names: readonly string[]) {
  return (dir: string): void => {
    for (const name of names.filter((n) => !fs.existsSync(path.join(dir, 'systems', n)))) {
      const target = path.join(dir, 'systems', name);
      fs.cpSync(path.join(dir, 'systems', 'lg-laptop'), target, { recursive: true });
      const file = path.join(target, 'default.nix');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/networking\.hostName = "[^"]*";/, `networking.hostName = "${name}";`));
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

async function throughCache(names: readonly string[]): Promise<Run & { pushMs: number; pushBytes: number; sentByDeploy: number }> {
  const world = await startDeployWorld({ names: [...names, 'cache'], editCheckout: addSystems(names) });
  try {
    await joinLan(world.lab.record);
    const outs = buildAll(world, names);
    const keyDir = fs.mkdtempSync(path.join(world.home, 'cache-key-'));
    execFileSync('nix-store', ['--generate-binary-cache-key', 'fleet-bench-cache-1', path.join(keyDir, 'secret'), path.join(keyDir, 'public')]);
    const publicKey = fs.readFileSync(path.join(keyDir, 'public'), 'utf8').trim();
    const cacheKey = world.lab.host('cache').hostPublicKey;
    for (const name of names) {
      const setup = await world.lab.host(name).exec([
        'sh',
        '-c',
        'set -e; cp "$1" /root/.ssh/id_ed25519; chmod 600 /root/.ssh/id_ed25519; printf "cache %s\\n" "$2" > /root/.ssh/known_hosts; printf "%s\\n" "substituters = ssh://cache" "trusted-public-keys = $3" >> /etc/nix/nix.conf',
        'sh',
        world.lab.identityFile,
        cacheKey,
        publicKey,
      ]);
      if (setup.code !== 0) throw new Error(setup.stderr);
    }
    const core = world.core();
    await core.invoke('cache.set', { url: 'ssh://cache', secretKeyFile: path.join(keyDir, 'secret') });
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
  const direct = await throughThisMachine(names);
  const cached = await throughCache(names);
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  process.stdout.write(
    [
      `${names.length} hosts, closure of the first system ${formatBytes(direct.closureBytes)}`,
      `  through this machine:  ${formatBytes(direct.bytes)} sent over this machine's links, ${secs(direct.ms)}`,
      `  through the cache:     ${formatBytes(cached.bytes)} sent over this machine's links, ${secs(cached.ms)}: the push ${formatBytes(cached.pushBytes)} in ${secs(cached.pushMs)}, NARs the deploy still sent from here ${formatBytes(cached.sentByDeploy)}`,
      `  ratio: the cache needs ${(cached.bytes / direct.bytes).toFixed(3)}x the bytes and ${(cached.ms / direct.ms).toFixed(2)}x the wall time`,
      '',
    ].join('\n'),
  );
}
