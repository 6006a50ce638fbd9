import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheInfo, HostCacheTrust } from '../../src-main/core/deploy/contract';
import { bytesThroughThisMachine, joinLan } from '../harness/hosts/index.js';
import { makeCacheKey, trustCache } from './cache-world';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

const nixFlags = ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', ''];

// A binary cache on a lab host ("cache", an ssh:// store reached over the core's SSH layer),
// signed with a test key. zephyrus trusts that key and lists ssh://cache as a substituter
// (its root has a key for cache and knows its host key): a deploy then lets zephyrus fetch
// the closure from the cache over the lab LAN instead of sending it from here.
describe('binary cache: push, then deploy with substitution from it', () => {
  let world: DeployWorld;
  let secretKeyFile: string;
  let publicKey: string;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['cache', 'zephyrus'] });
    await joinLan(world.lab.record);
    ({ secretKeyFile, publicKey } = makeCacheKey(world));
    await trustCache(world, ['zephyrus'], publicKey);
  });

  afterAll(async () => {
    await world?.stop();
  });

  it('refuses a cache URL nix or ssh would misread, and shows the public key to trust', async () => {
    const core = world.core();
    await expect(core.invoke('cache.set', { url: 'ssh://-oProxyCommand=x', secretKeyFile })).rejects.toThrow(/not ssh:\/\/host/);
    await expect(core.invoke('cache.set', { url: 'http://example.org', secretKeyFile })).rejects.toThrow(/not a file:\/\/, ssh:\/\/ or s3:\/\/ URL/);
    const info = (await core.invoke('cache.set', { url: 'ssh://cache', secretKeyFile })) as CacheInfo;
    expect(info.publicKey).toBe(publicKey);
    const trust = (await core.invoke('cache.trust', { targets: ['zephyrus'] })) as HostCacheTrust[];
    expect(trust).toEqual([expect.objectContaining({ target: 'zephyrus', online: true, trustsKey: true, usesCache: true })]);
  });

  it('a pushed closure is fetched by the host from the cache; this machine sends none of it', async () => {
    world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', `networking.hostName = "zephyrus";\n  environment.etc."from-the-cache".text = "${randomBytes(6).toString('hex')}";`);
    const built = JSON.parse(
      execFileSync('nix', [...nixFlags, 'build', '--json', '--no-link', '.#nixosConfigurations.zephyrus.config.system.build.toplevel'], { cwd: world.checkout, env: world.env, encoding: 'utf8' }),
    ) as { outputs: { out: string } }[];
    const outPath = built[0]!.outputs.out;
    const core = world.core();
    const { jobId } = (await core.invoke('cache.push', { paths: [outPath] })) as { jobId: string };
    const pushed = await core.context.jobs.wait(jobId);
    expect(pushed.status, JSON.stringify(pushed.error)).toBe('succeeded');
    expect((await world.lab.host('cache').exec(['nix-store', '--check-validity', outPath])).code).toBe(0);
    // Signed with the cache's key (the host's nix would refuse the paths otherwise: require-sigs).
    const sigs = await world.lab.host('cache').exec(['nix', '--extra-experimental-features', 'nix-command', 'path-info', '--sigs', outPath]);
    expect(sigs.stdout).toContain('fleet-test-cache-1:');

    const before = await bytesThroughThisMachine(world.lab.record);
    const { job, record, events } = await world.deploy({ targets: ['zephyrus'] }, { core });
    const through = (await bytesThroughThisMachine(world.lab.record)) - before;
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const zephyrus = outcomeOf(record, 'zephyrus');
    expect(zephyrus.copiedPaths).toBe(0);
    expect(await world.lab.host('zephyrus').currentSystem()).toBe(outPath);
    const closureBytes = Number(execFileSync('nix', [...nixFlags, 'path-info', '--closure-size', outPath], { encoding: 'utf8' }).trim().split(/\s+/).pop());
    console.log(`cache deploy: closure ${closureBytes} bytes fetched by zephyrus from the cache; this machine's link carried ${through} bytes`);
    expect(through).toBeLessThan(closureBytes / 4);
    const log = events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');
    expect(log).toMatch(/zephyrus trusts the cache key and substitutes from ssh:\/\/cache/);
  });
});
