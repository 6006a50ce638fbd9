import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

// One NixOS system of flake/ deployed to a real sshd host with its own store, then the
// everyday follow-ups: an unchanged re-deploy, an edit, history and status.
describe('deploy a NixOS system over SSH', () => {
  let world: DeployWorld;
  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus'] });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('copies the closure, activates it and confirms: the host runs what the checkout builds', async () => {
    const { job, record } = await world.deploy({ targets: ['zephyrus'], confirmTimeoutSeconds: 10 });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const zephyrus = outcomeOf(record, 'zephyrus');
    expect(zephyrus.status).toBe('succeeded');
    expect(zephyrus.generation).toBe(1);
    expect(zephyrus.copiedPaths).toBeGreaterThan(10);
    expect(await world.lab.host('zephyrus').currentSystem()).toBe(zephyrus.outPath);
    expect(zephyrus.stages.map((s) => s.name)).toEqual(['preflight', 'build', 'copy', 'activate', 'checks', 'confirm']);
    expect(record?.revision).toBe(world.git('rev-parse', 'HEAD').trim());
  });

  it('an unchanged re-deploy says "already up to date" and neither copies nor activates; --force activates again', async () => {
    const host = world.lab.host('zephyrus');
    const before = await host.currentSystem();
    const activations = async () => (await host.exec(['sh', '-c', 'ls -d /run/homelab-fleet/deploys/* 2>/dev/null | wc -l'])).stdout.trim();
    const deploysBefore = await activations();
    const { job, record } = await world.deploy({ targets: ['zephyrus'] });
    expect(job.status).toBe('succeeded');
    const zephyrus = outcomeOf(record, 'zephyrus');
    expect(zephyrus).toMatchObject({ status: 'succeeded', upToDate: true, generation: 1, message: 'already up to date (generation 1)' });
    expect(zephyrus.stages.map((s) => s.name)).toEqual(['preflight', 'build']);
    expect(await activations()).toBe(deploysBefore);
    expect(await host.currentSystem()).toBe(before);

    const forced = await world.deploy({ targets: ['zephyrus'], force: true });
    expect(forced.job.status, JSON.stringify(forced.job.error)).toBe('succeeded');
    const again = outcomeOf(forced.record, 'zephyrus');
    expect(again.upToDate).toBeUndefined();
    expect(again.copiedPaths).toBe(0);
    expect(again.generation).toBe(1);
    expect(again.stages.map((s) => s.name)).toEqual(['preflight', 'build', 'copy', 'activate', 'checks', 'confirm']);
    expect(Number(await activations())).toBe(Number(deploysBefore) + 1);
  });

  it('after an edit copies only the new paths and makes a new generation', async () => {
    world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', 'networking.hostName = "zephyrus";\n  environment.etc."fleet-test".text = "edited";');
    const { job, record } = await world.deploy({ targets: ['zephyrus'] });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const zephyrus = outcomeOf(record, 'zephyrus');
    expect(zephyrus.generation).toBe(2);
    expect(zephyrus.copiedPaths).toBeGreaterThan(0);
    expect(zephyrus.copiedPaths).toBeLessThan(8);
    expect(await world.lab.host('zephyrus').currentSystem()).toBe(zephyrus.outPath);
  });

  it('lists generations, rolls back by hand, and reports status with the deployed revision', async () => {
    const core = world.core();
    const generations = (await core.invoke('deploy.generations', { target: 'zephyrus' })) as { number: number; current: boolean }[];
    expect(generations.map((g) => g.number)).toEqual([2, 1]);
    expect(generations[0]!.current).toBe(true);

    const { job, record } = await world.deploy({ target: 'zephyrus', confirmTimeoutSeconds: 10 }, { command: 'deploy.rollback', core });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(outcomeOf(record, 'zephyrus').generation).toBe(1);
    // Deploying generation 2's system again: nix-env reuses the newest generation when it is identical.
    const again = (await world.deploy({ targets: ['zephyrus'] }, { core })).record;
    expect(outcomeOf(again, 'zephyrus').generation).toBe(2);

    const status = (await core.invoke('deploy.status', { targets: ['zephyrus'] })) as {
      online: boolean;
      generation: number;
      outOfDate: boolean;
      configurationRevision?: string;
      lastDeploy?: { status: string };
      bootedSystem?: string;
    }[];
    // The status probe reads the boot state too (the deploy's pre-flight leaves it out): the first install was this host's boot.
    expect(status[0]).toMatchObject({ online: true, generation: 2, outOfDate: false, lastDeploy: { status: 'succeeded' }, needsReboot: false });
    expect(status[0]!.bootedSystem).toMatch(/^\/nix\/store\/.*-nixos-system-zephyrus-/);
    expect(status[0]!.configurationRevision).toBe(world.git('rev-parse', 'HEAD').trim());
    const history = (await core.invoke('deploy.history', {})) as { status: string; kind?: string }[];
    expect(history.length).toBeGreaterThanOrEqual(5);
  });
});

// Cancel at any stage, and the host is never left half-activated.
describe('cancel a deploy', () => {
  let world: DeployWorld;
  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus'] });
    const first = await world.deploy({ targets: ['zephyrus'] });
    expect(first.job.status).toBe('succeeded');
  });
  afterAll(async () => {
    await world?.stop();
  });

  /** Start a deploy after an edit and cancel it when `when` says so; returns the finished job. */
  async function cancelWhen(when: (stage: string | undefined) => boolean) {
    const core = world.core();
    let cancelled = false;
    const off = core.subscribe((event) => {
      if (cancelled || event.type !== 'job.progress') return;
      const t = event.progress.targets?.[0];
      if (when(t?.stage)) {
        cancelled = true;
        void core.invoke('jobs.cancel', { jobId: event.jobId });
      }
    });
    const result = await world.deploy({ targets: ['zephyrus'], confirmTimeoutSeconds: 10 }, { core });
    off();
    expect(cancelled).toBe(true);
    return result;
  }

  it('during the copy: nothing is activated, the lock is released', async () => {
    const host = world.lab.host('zephyrus');
    const before = await host.currentSystem();
    world.edit('lib/pins.nix', '"6.6.30"', '"6.6.31"');
    await host.slowLink({ rate: '2mbit' });
    try {
      const { job, record } = await cancelWhen((stage) => stage === 'copy');
      expect(job.status).toBe('cancelled');
      expect(outcomeOf(record, 'zephyrus').status).toBe('cancelled');
      expect(await host.currentSystem()).toBe(before);
      expect((await host.exec(['test', '-e', '/run/homelab-fleet/lock'])).code).not.toBe(0);
    } finally {
      await host.restoreLinkSpeed();
    }
  });

  it('during activation: the activation finishes and the host goes back to where it was', async () => {
    const host = world.lab.host('zephyrus');
    const before = await host.currentSystem();
    const { job, record } = await cancelWhen((stage) => stage === 'activate');
    expect(job.status).toBe('cancelled');
    const outcome = outcomeOf(record, 'zephyrus');
    expect(outcome.status).toBe('cancelled');
    expect(outcome.previousGeneration).toBeGreaterThanOrEqual(1);
    expect(outcome.message).toBe(`cancelled: rolled back to generation ${outcome.previousGeneration}`);
    expect(await host.currentSystem()).toBe(before);
  });
});
