import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployCopyPlan, TargetCopyPlan } from '../../src-main/core/deploy/contract';
import { joinLan } from '../harness/hosts/index.js';
import { makeCacheKey, startAgent, trustCache } from './cache-world';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

const nixFlags = ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', ''];

// Many hosts, one deploy, each target's closure from its cheapest source: the lab host
// "cache" serves ssh://cache signed with a test key; zephyrus and tv-box trust it, lg-laptop
// does not; tv-box builds on moonlight (its meta.json). Only zephyrus's system is pushed to
// the cache, so zephyrus fetches all it lacks from the cache, tv-box fetches the paths it
// shares with zephyrus from the cache and gets the rest from moonlight, and lg-laptop gets
// everything from here. The plan says so before the deploy; the outcomes after.
describe('each target gets its closure from the cheapest source', () => {
  let world: DeployWorld;
  let stopAgent: (() => void) | undefined;
  let secretKeyFile: string;
  let publicKey: string;
  let zephyrusOut: string;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['moonlight', 'tv-box', 'zephyrus', 'lg-laptop', 'cache'] });
    await joinLan(world.lab.record);
    ({ secretKeyFile, publicKey } = makeCacheKey(world));
    await trustCache(world, ['zephyrus', 'tv-box'], publicKey);
    stopAgent = startAgent(world);

    // A fresh zephyrus system, built here and pushed to the cache.
    world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', `networking.hostName = "zephyrus";\n  environment.etc."cheapest-source".text = "${randomBytes(6).toString('hex')}";`);
    const built = JSON.parse(
      execFileSync('nix', [...nixFlags, 'build', '--json', '--no-link', '.#nixosConfigurations.zephyrus.config.system.build.toplevel'], { cwd: world.checkout, env: world.env, encoding: 'utf8' }),
    ) as { outputs: { out: string } }[];
    zephyrusOut = built[0]!.outputs.out;
    const core = world.core();
    await core.invoke('cache.set', { url: 'ssh://cache', secretKeyFile });
    const { jobId } = (await core.invoke('cache.push', { paths: [zephyrusOut] })) as { jobId: string };
    const pushed = await core.context.jobs.wait(jobId);
    expect(pushed.status, JSON.stringify(pushed.error)).toBe('succeeded');
  });

  afterAll(async () => {
    stopAgent?.();
    await world?.stop();
  });

  it('the plan shows per host whether it trusts the cache and what would come from where', async () => {
    const plan = (await world.core().invoke('deploy.plan', { targets: ['zephyrus', 'lg-laptop', 'tv-box'] })) as DeployCopyPlan;
    expect(plan.cache).toEqual({ url: 'ssh://cache', publicKey });
    const of = (t: string) => plan.targets.find((x) => x.target === t) as TargetCopyPlan;
    console.log(JSON.stringify(plan.targets.map((t) => [t.target, t.source, t.summary])));
    const zephyrus = of('zephyrus');
    expect(zephyrus).toMatchObject({ online: true, builtOn: 'here', outPath: zephyrusOut, builtAlready: 'here', source: 'cache', cache: { trustsKey: true, usesCache: true } });
    expect(zephyrus.fromCache?.paths).toBeGreaterThan(0);
    expect(zephyrus.fromHere).toBeUndefined();
    const laptop = of('lg-laptop');
    expect(laptop).toMatchObject({ online: true, builtOn: 'here', source: 'here', cache: { trustsKey: false, usesCache: false } });
    expect(laptop.fromCache).toBeUndefined();
    expect(laptop.summary).toMatch(/does not take paths from the cache/);
    // tv-box is not built anywhere yet: its sources are known, its sizes are not.
    const tvBox = of('tv-box');
    expect(tvBox).toMatchObject({ online: true, builtOn: 'moonlight', source: 'moonlight', cache: { trustsKey: true, usesCache: true } });
    expect(tvBox.closure).toBeUndefined();
    expect(tvBox.summary).toMatch(/not built yet: built on moonlight at deploy time, then tv-box fetches what the cache has and moonlight sends the rest/);
  });

  it('one deploy: zephyrus from the cache, tv-box from the cache and moonlight, lg-laptop from here', async () => {
    const { job, record, events } = await world.deploy({ targets: ['zephyrus', 'lg-laptop', 'tv-box'], parallel: 3 });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const zephyrus = outcomeOf(record, 'zephyrus');
    expect(zephyrus).toMatchObject({ builtOn: 'here', copiedFrom: 'cache', copiedPaths: 0 });
    expect(zephyrus.fetchedFromCache?.paths).toBeGreaterThan(0);
    expect(await world.lab.host('zephyrus').currentSystem()).toBe(zephyrusOut);
    const laptop = outcomeOf(record, 'lg-laptop');
    expect(laptop).toMatchObject({ builtOn: 'here', copiedFrom: 'here' });
    expect(laptop.fetchedFromCache).toBeUndefined();
    expect(laptop.copiedPaths).toBeGreaterThan(0);
    const tvBox = outcomeOf(record, 'tv-box');
    expect(tvBox).toMatchObject({ builtOn: 'moonlight', copiedFrom: 'moonlight' });
    // What tv-box shares with zephyrus (glibc, bash, systemd, ...) came from the cache.
    expect(tvBox.fetchedFromCache?.paths).toBeGreaterThan(0);
    expect(tvBox.copiedPaths).toBeGreaterThan(0);
    expect(await world.lab.host('tv-box').currentSystem()).toBe(tvBox.outPath);
    const log = events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');
    expect(log).toMatch(/tv-box fetches \d+ of the \d+ paths it lacks from ssh:\/\/cache/);
    expect(log).toMatch(/lg-laptop does not take paths from the cache/);
    // The history keeps where each closure came from.
    const history = (await world.core().invoke('deploy.history', {})) as { outcomes: { target: string; copiedFrom?: string }[] }[];
    expect(history[0]?.outcomes.find((o) => o.target === 'zephyrus')?.copiedFrom).toBe('cache');
  });
});
