import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CachePushResult } from '../../src-main/core/deploy/cache-push';
import type { BuildResult } from '../../src-main/core/nix/build';
import { bytesThroughThisMachine, joinLan } from '../harness/hosts/index.js';
import { makeCacheKey, startAgent, trustCache } from './cache-world';
import { startDeployWorld, type DeployWorld } from './deploy-world';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// `fleet build tv-box --push` where tv-box builds on the build host moonlight (its meta.json)
// and the homelab's cache is the lab host "cache" (ssh://cache). The closure is signed in
// moonlight's store with signatures made here (the secret key stays on this machine), and
// moonlight sends it to the cache over the lab LAN itself (signing in with this machine's
// forwarded ssh-agent), so this machine's link carries almost none of it. zephyrus trusts the
// cache's key and lists it as a substituter: it then fetches tv-box's closure from the cache,
// its nix checking the signatures (require-sigs).
describe('push to the binary cache from a build host', () => {
  let world: DeployWorld;
  let stopAgent: (() => void) | undefined;
  let secretKeyFile: string;
  let publicKey: string;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['moonlight', 'cache', 'zephyrus'] });
    await joinLan(world.lab.record);
    stopAgent = startAgent(world);
    ({ secretKeyFile, publicKey } = makeCacheKey(world));
    await trustCache(world, ['zephyrus'], publicKey);
  });

  afterAll(async () => {
    stopAgent?.();
    await world?.stop();
  });

  const fleet = (...args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(repo, 'bin/fleet.js'), '--flake', world.checkout, ...args], {
      env: { ...world.env, FLEET_DATA_DIR: world.dataDir },
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
  const locallyValid = (p: string) => spawnSync('nix-store', ['--check-validity', p], { stdio: 'ignore' }).status === 0;
  const nixOn = (host: string, ...args: string[]) => world.lab.host(host).exec(['nix', '--extra-experimental-features', 'nix-command', ...args]);

  it('fleet build tv-box --push: signed on moonlight, sent by moonlight to the cache; zephyrus substitutes it from there', async () => {
    const marker = randomBytes(6).toString('hex');
    world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."pushed-from-moonlight".text = "${marker}";`);
    const set = await fleet('cache', 'set', 'ssh://cache', '--key', secretKeyFile);
    expect(set.code, set.stderr).toBe(0);

    // Built first (this machine's link carries the .drv files then), pushed on its own: the push's bytes are measured.
    const built = await fleet('build', 'tv-box', '--json', '--quiet');
    expect(built.code, built.stderr).toBe(0);
    const result = (JSON.parse(built.stdout) as { result: BuildResult }).result.targets.find((t) => t.target === 'tv-box')!;
    expect(result.builtOn).toBe('moonlight');
    const outPath = result.outPath!;
    expect(locallyValid(outPath)).toBe(false);
    expect((await world.lab.host('cache').exec(['nix-store', '--check-validity', outPath])).code).not.toBe(0);

    const before = await bytesThroughThisMachine(world.lab.record);
    // --push after a build of the same tree: nothing is rebuilt, the push goes from moonlight's store.
    const pushed = await fleet('build', 'tv-box', '--push', '--quiet');
    const through = (await bytesThroughThisMachine(world.lab.record)) - before;
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toContain('pushed 1 closure from moonlight to the binary cache');
    expect(pushed.stderr).not.toContain('not pushed');
    expect(pushed.stderr).toMatch(/signing \d+ of \d+ paths in moonlight's store with fleet-test-cache-1 \(signed here; the key stays on this machine\)/);
    expect(pushed.stderr).toMatch(/moonlight sends \d+ of \d+ paths \(.+\) straight to root@cache/);
    // The secret key never shows: not its text, not in any log line.
    const secret = fs.readFileSync(secretKeyFile, 'utf8').trim();
    expect(pushed.stderr).not.toContain(secret.slice(secret.indexOf(':') + 1));

    // The cache has the closure, every path with a signature of the cache's key that its nix accepts.
    expect((await world.lab.host('cache').exec(['nix-store', '--check-validity', outPath])).code).toBe(0);
    const verified = await nixOn('cache', 'store', 'verify', '--no-contents', '--recursive', '--trusted-public-keys', publicKey, outPath);
    expect(verified.code, verified.stderr).toBe(0);
    // ... and only that key's: the cache's copies are not taken on trust (a key nobody signed with fails).
    const otherKey = makeCacheKey(world, 'fleet-other-cache-1').publicKey;
    expect((await nixOn('cache', 'store', 'verify', '--no-contents', '--recursive', '--trusted-public-keys', otherKey, outPath)).code).not.toBe(0);
    // moonlight's store holds the same signatures (there every path it built counts as trusted
    // anyway, so its lines are read); this machine's store still lacks the toplevel.
    const onMoonlight = (await nixOn('moonlight', 'path-info', '--sigs', '--recursive', outPath)).stdout.trim().split('\n');
    expect(onMoonlight.length).toBeGreaterThan(10);
    expect(onMoonlight.filter((line) => !line.includes('fleet-test-cache-1:'))).toEqual([]);
    expect(locallyValid(outPath)).toBe(false);
    const closureBytes = result.closureSize!;
    const version = (await nixOn('moonlight', '--version')).stdout.trim();
    console.log(`push from build host (${version} on the hosts): closure ${closureBytes} bytes sent moonlight -> cache; this machine's link carried ${through} bytes`);
    expect(through).toBeLessThan(closureBytes / 4);

    // A host trusting the key substitutes tv-box's closure from the cache.
    const zephyrus = world.lab.host('zephyrus');
    expect((await zephyrus.exec(['nix-store', '--check-validity', outPath])).code).not.toBe(0);
    const fetched = await zephyrus.exec(['nix-store', '--realise', outPath]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stderr).toMatch(/copying path .* from 'ssh:\/\/cache'/);
    const sigs = await nixOn('zephyrus', 'path-info', '--sigs', outPath);
    expect(sigs.stdout).toContain('fleet-test-cache-1:');
  });

  it('a build host that cannot reach the cache has the closure relayed through this computer, signed, never stored here', async () => {
    const marker = randomBytes(6).toString('hex');
    world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."relayed-to-the-cache".text = builtins.concatStringsSep "\\n" (builtins.genList (i: "${marker} \${toString i}") 100000);`);
    const moonlight = world.lab.host('moonlight');
    // moonlight no longer knows the cache's name: its ssh to the cache fails at once.
    const hosts = (await moonlight.exec(['cat', '/etc/hosts'])).stdout;
    const hidden = await moonlight.exec(['sh', '-c', 'grep -v "[[:space:]]cache$" /etc/hosts > /etc/hosts.fleet && cat /etc/hosts.fleet > /etc/hosts']);
    expect(hidden.code, hidden.stderr).toBe(0);
    try {
      expect((await fleet('cache', 'set', 'ssh://cache', '--key', secretKeyFile)).code).toBe(0);
      const built = await fleet('build', 'tv-box', '--json', '--quiet');
      expect(built.code, built.stderr).toBe(0);
      const outPath = (JSON.parse(built.stdout) as { result: BuildResult }).result.targets[0]!.outPath!;
      // What the cache lacks, and its NAR bytes in moonlight's store: what must pass through here.
      const closure = (await moonlight.exec(['nix-store', '--query', '--requisites', outPath])).stdout.trim().split('\n');
      const lacking = (await world.lab.host('cache').exec(['nix-store', '--check-validity', '--print-invalid', ...closure])).stdout.trim().split('\n').filter(Boolean);
      const sizes = await moonlight.exec(['nix-store', '--query', '--size', ...lacking]);
      const lackingBytes = sizes.stdout.trim().split('\n').reduce((n, l) => n + Number(l), 0);
      // About 2 MB of new file: far more than the ssh sessions' own bytes.
      expect(lackingBytes).toBeGreaterThan(1_500_000);
      const before = await bytesThroughThisMachine(world.lab.record);
      const pushed = await fleet('build', 'tv-box', '--push', '--quiet');
      const through = (await bytesThroughThisMachine(world.lab.record)) - before;
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stderr).toMatch(/moonlight cannot reach cache \(.+\): the closure is relayed through this computer \(moonlight -> here -> cache, streamed, not stored here\)/);
      const relayed = /relayed (\d+) paths \(.+\) from moonlight to cache through this computer/.exec(pushed.stderr);
      expect(relayed).not.toBeNull();
      expect(Number(relayed![1])).toBe(lacking.length);
      // The cache's copies carry the signatures made here; this machine's store never held them.
      const verified = await nixOn('cache', 'store', 'verify', '--no-contents', '--recursive', '--trusted-public-keys', publicKey, outPath);
      expect(verified.code, verified.stderr).toBe(0);
      expect(locallyValid(outPath)).toBe(false);
      // In from moonlight and out to the cache: at least twice what the cache lacked.
      console.log(`relayed push: ${lacking.length} paths, ${lackingBytes} bytes the cache lacked; this machine's link carried ${through} bytes`);
      expect(through).toBeGreaterThan(2 * lackingBytes);
    } finally {
      await moonlight.exec(['sh', '-c', 'printf "%s" "$1" > /etc/hosts', 'sh', hosts]);
    }
  });

  it('a file:// cache is written here: the closure comes through this machine, said in the log, signed', async () => {
    const marker = randomBytes(6).toString('hex');
    world.edit('systems/tv-box/default.nix', 'networking.hostName = "tv-box";', `networking.hostName = "tv-box";\n  environment.etc."pushed-to-a-folder".text = "${marker}";`);
    const cacheDir = path.join(world.home, 'folder-cache');
    const core = world.core();
    await core.invoke('cache.set', { url: `file://${cacheDir}`, secretKeyFile });
    const { job } = await world.deploy({ targets: ['tv-box'] }, { command: 'build.start', core });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const outPath = (job.result as BuildResult).targets[0]!.outPath!;
    expect(locallyValid(outPath)).toBe(false);
    const { job: push, events } = await world.deploy({ paths: [outPath], buildHost: 'moonlight' }, { command: 'cache.push', core });
    expect(push.status, JSON.stringify(push.error)).toBe('succeeded');
    expect((push.result as CachePushResult).from).toBe('moonlight');
    const log = events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');
    expect(log).toContain(`file://${cacheDir} is written by this machine: the closure comes from moonlight's store through this machine's store, then goes on from here`);
    const narinfo = fs.readFileSync(path.join(cacheDir, `${path.basename(outPath).slice(0, 32)}.narinfo`), 'utf8');
    expect(narinfo).toContain(`StorePath: ${outPath}`);
    expect(narinfo).toMatch(/^Sig: fleet-test-cache-1:/m);
    expect(locallyValid(outPath)).toBe(true);
  });

  it('refuses to push from a machine that is not one of the checkout’s build hosts', async () => {
    const core = world.core();
    await expect(core.invoke('cache.push', { paths: ['/nix/store/00000000000000000000000000000000-x'], buildHost: 'zephyrus' })).rejects.toThrow(/zephyrus is not a build host of .* \(moonlight\)/);
    await expect(core.invoke('cache.push', { paths: ['/nix/store/00000000000000000000000000000000-x'], buildHost: '-oProxyCommand=x' })).rejects.toThrow(/a build host is an ssh alias/);
  });
});
