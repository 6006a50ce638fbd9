import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRecord } from '../../src-main/core/deploy/types';
import type { StageTiming } from '../../src-main/core/jobs/types';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

const repo = path.resolve(__dirname, '../..');

// Every fault the issue names, against real lab hosts: offline, cut mid-copy, an activation
// that breaks SSH, a failing activation, a changed host key, sudo with a password, a killed
// app, and a second deploy to a host in progress.
describe('deploy faults', () => {
  let world: DeployWorld;
  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus', 'lg-laptop'] });
    const first = await world.deploy({ targets: ['zephyrus'], confirmTimeoutSeconds: 10 });
    expect(first.job.status, JSON.stringify(first.job.error)).toBe('succeeded');
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('skips an offline host within seconds and deploys the others', async () => {
    const lg = world.lab.host('lg-laptop');
    await lg.cutNetwork();
    try {
      const { job, record } = await world.deploy({ targets: ['zephyrus', 'lg-laptop'] });
      expect(job.status).toBe('failed');
      expect(outcomeOf(record, 'zephyrus').status).toBe('succeeded');
      const offline = outcomeOf(record, 'lg-laptop');
      expect(offline.status).toBe('skipped');
      expect(offline.message).toMatch(/offline/);
      expect(offline.stages.map((s) => s.name)).toEqual(['preflight']);
      // Given up on at its connection timeout, not after retries: the pre-flight's own time
      // (the build, which the machine's load stretches, is not in it).
      expect(stageSeconds(offline.stages[0]!)).toBeLessThan(20);
    } finally {
      await lg.restoreNetwork();
    }
  });

  it('a network cut during the copy fails clearly, leaves the host as it was, and a retry succeeds', async () => {
    const lg = world.lab.host('lg-laptop');
    await lg.slowLink({ rate: '16mbit' });
    const core = world.core();
    let cut = false;
    const unsubscribe = core.subscribe((event) => {
      if (cut || event.type !== 'job.progress') return;
      const t = event.progress.targets?.find((x) => x.target === 'lg-laptop');
      if (t?.stage === 'copy' && (t.bytesDone ?? 0) > 1_000_000) {
        cut = true;
        void lg.cutNetwork();
      }
    });
    const { job, record } = await world.deploy({ targets: ['lg-laptop'] }, { core });
    unsubscribe();
    expect(cut).toBe(true);
    expect(job.status).toBe('failed');
    const outcome = outcomeOf(record, 'lg-laptop');
    expect(outcome.stage).toBe('copy');
    expect(outcome.message).toMatch(/lost the connection|connection .* (lost|closed)/i);
    await lg.restoreNetwork();
    await lg.restoreLinkSpeed();
    expect(await lg.currentSystem()).toBeNull();
    const retry = await world.deploy({ targets: ['lg-laptop'] }, { core });
    expect(retry.job.status, JSON.stringify(retry.job.error)).toBe('succeeded');
    expect(await lg.currentSystem()).toBe(outcomeOf(retry.record, 'lg-laptop').outPath);
  });

  it('an activation that breaks SSH is rolled back by the host itself and reported as rolled back', async () => {
    const zephyrus = world.lab.host('zephyrus');
    const before = await zephyrus.currentSystem();
    world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', 'networking.hostName = "zephyrus";\n  environment.etc."broken-network".text = "1";');
    await zephyrus.breakNextActivation();
    const { job, record } = await world.deploy({ targets: ['zephyrus'], confirmTimeoutSeconds: 3 });
    expect(job.status).toBe('failed');
    const outcome = outcomeOf(record, 'zephyrus');
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.rolledBackTo).toBe(1);
    expect(outcome.message).toMatch(/rolled back to generation 1/);
    // Found out at the confirmation's timeout, not after a hang: from the activation's start to
    // the end of the last stage (the build before it is not counted).
    const activate = outcome.stages.find((s) => s.name === 'activate')!;
    const last = outcome.stages.at(-1)!;
    expect(((last.finishedAt ?? Date.now()) - activate.startedAt) / 1000).toBeLessThan(40);
    expect(await zephyrus.currentSystem()).toBe(before);
    expect(await zephyrus.activationBreakState()).toBe('none');
  });

  it('a failing activation script rolls back to the previous generation', async () => {
    const zephyrus = world.lab.host('zephyrus');
    const before = await zephyrus.currentSystem();
    world.edit('lib/nixos/activate.sh', 'echo "setting up /etc..."', 'echo "setting up /etc..."\necho "activation script failed on purpose" >&2; exit 4');
    const { job, record } = await world.deploy({ targets: ['zephyrus'] });
    expect(job.status).toBe('failed');
    const outcome = outcomeOf(record, 'zephyrus');
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.message).toMatch(/activation failed.*rolled back to generation 1/);
    expect(await zephyrus.currentSystem()).toBe(before);
    const log = fs.readFileSync(job.logFile, 'utf8');
    expect(log).toContain('activation script failed on purpose');
    world.edit('lib/nixos/activate.sh', 'echo "activation script failed on purpose" >&2; exit 4', '');
  });

  it('refuses a host whose key changed, loudly', async () => {
    const lg = world.lab.host('lg-laptop');
    await lg.changeHostKey();
    try {
      const { job, record } = await world.deploy({ targets: ['lg-laptop'] });
      expect(job.status).toBe('failed');
      const outcome = outcomeOf(record, 'lg-laptop');
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(/host key of lg-laptop has CHANGED/);
      expect(outcome.message).toContain(lg.hostKeyFingerprint);
    } finally {
      await world.lab.writeClientFiles();
    }
  });

  it('uses sudo with a password given once, on stdin, never logged', async () => {
    const password = 'correct horse 42';
    const lg = world.lab.host('lg-laptop');
    await lg.setSudoPassword(password);
    fs.writeFileSync(path.join(world.checkout, 'systems/lg-laptop/meta.json'), JSON.stringify({ system: 'x86_64-linux', deploy: { user: 'deploy', sudo: true } }));
    world.git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'deploy as the deploy user');
    const wrong = await world.deploy({ targets: ['lg-laptop'] }, { answers: { secret: 'wrong' } });
    expect(outcomeOf(wrong.record, 'lg-laptop').message).toMatch(/refused the password/);
    const { job, record, events } = await world.deploy({ targets: ['lg-laptop'] }, { answers: { secret: password } });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(outcomeOf(record, 'lg-laptop').status).toBe('succeeded');
    const prompts = events.filter((e) => e.type === 'prompt.request');
    expect(prompts).toHaveLength(1);
    expect(fs.readFileSync(job.logFile, 'utf8')).not.toContain(password);
    expect(JSON.stringify(events)).not.toContain(password);
    expect(fs.readFileSync(path.join(world.dataDir, 'deploys.jsonl'), 'utf8')).not.toContain(password);
    await lg.setSudoPassword(null);
  });

  it('refuses a second deploy to a host that is being deployed', async () => {
    const core = world.core();
    const [a, b] = await Promise.all([world.deploy({ targets: ['zephyrus'] }, { core }), world.deploy({ targets: ['zephyrus'] }, { core })]);
    const statuses = [a.job.status, b.job.status].sort();
    expect(statuses).toEqual(['failed', 'succeeded']);
    const refused = [a, b].find((r) => r.job.status === 'failed')!;
    expect(outcomeOf(refused.record, 'zephyrus').message).toMatch(/is being deployed by/);
  });

  it('after the app is killed mid-deploy, history says interrupted and the stale lock is released', async () => {
    world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', 'networking.hostName = "zephyrus";\n  environment.etc."after-crash".text = "1";');
    const child = spawn(process.execPath, [path.join(repo, 'bin/fleet.js'), 'deploy', 'zephyrus', '--flake', world.checkout], {
      env: { ...world.env, FLEET_DATA_DIR: world.dataDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the CLI never reached the build: ${stderr}`)), 60_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/connected as root/.test(stderr)) {
          clearTimeout(timer);
          // The lock is taken before the connection line is logged (in the same round trip as
          // the probe): crash at once, before the copy can finish.
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    const core = world.core();
    const history = (await core.invoke('deploy.history', {})) as DeployRecord[];
    expect(history[0]!.status).toBe('interrupted');
    expect(outcomeOf(history[0], 'zephyrus').message).toMatch(/interrupted during (preflight|build|copy)/);
    const lock = await world.lab.host('zephyrus').exec(['cat', '/run/homelab-fleet/lock/owner']);
    expect(lock.stdout).toContain(String(child.pid));
    const { job } = await world.deploy({ targets: ['zephyrus'] }, { core });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(fs.readFileSync(job.logFile, 'utf8')).toMatch(/releasing a stale lock/);
  });

  it('a host whose store disk is full fails the copy as disk-full, says how to free it, stays as it was, and deploys once space is back', async () => {
    const zephyrus = world.lab.host('zephyrus');
    const before = await zephyrus.currentSystem();
    world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', 'networking.hostName = "zephyrus";\n  environment.etc."disk-full".text = builtins.concatStringsSep "" (builtins.genList (i: "0123456789abcdef") 131072);');
    // 1 MiB left: the store opens, the 2 MiB file of this edit does not fit.
    await zephyrus.fillStore();
    try {
      const { job, record } = await world.deploy({ targets: ['zephyrus'] });
      expect(job.status).toBe('failed');
      const outcome = outcomeOf(record, 'zephyrus');
      expect(outcome.status).toBe('failed');
      expect(outcome.stages.at(-1)?.name).toBe('copy');
      expect(outcome.errorCode, outcome.message).toBe('disk-full');
      expect(outcome.hint).toMatch(/nix-collect-garbage/);
      expect(await zephyrus.currentSystem()).toBe(before);
      expect((await zephyrus.exec(['test', '-e', '/run/homelab-fleet/lock'])).code).not.toBe(0);
    } finally {
      await zephyrus.freeStore();
    }
    const retry = await world.deploy({ targets: ['zephyrus'] });
    expect(retry.job.status, JSON.stringify(retry.job.error)).toBe('succeeded');
    expect(await zephyrus.currentSystem()).toBe(outcomeOf(retry.record, 'zephyrus').outPath);
  });
});

/** How long one stage of a deploy took, by the app's own timing. */
function stageSeconds(stage: StageTiming): number {
  return ((stage.finishedAt ?? Date.now()) - stage.startedAt) / 1000;
}
