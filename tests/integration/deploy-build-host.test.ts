import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesThroughThisMachine, joinLan } from '../harness/hosts/index.js';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

// A build host: zephyrus's meta.json names the lab host "builder". The system is evaluated
// here, built by builder's own nix, and builder sends the closure straight to zephyrus over
// the lab LAN (signing in with this machine's ssh-agent, forwarded). This machine's link to
// the lab is measured with the counters of its veths, which LAN traffic never touches.
describe('deploy through a build host', () => {
  let world: DeployWorld;
  let agentPid: number | undefined;

  beforeAll(async () => {
    world = await startDeployWorld({
      names: ['builder', 'zephyrus'],
      editCheckout: (dir) => {
        fs.writeFileSync(path.join(dir, 'systems/zephyrus/meta.json'), JSON.stringify({ system: 'x86_64-linux', deploy: { buildHost: 'builder' } }, null, 2));
      },
    });
    world.git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'zephyrus builds on builder', '--allow-empty');
    await joinLan(world.lab.record);
    // The admin's ssh-agent holding the lab key: what the build host signs in to targets with.
    const socket = path.join(world.home, 'agent.sock');
    const started = execFileSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
    agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
    execFileSync('ssh-add', ['-q', world.lab.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    world.env.SSH_AUTH_SOCK = socket;
  });

  afterAll(async () => {
    if (agentPid) process.kill(agentPid);
    await world?.stop();
  });

  const locallyValid = (p: string) => spawnSync('nix-store', ['--check-validity', p], { stdio: 'ignore' }).status === 0;

  it('builds on the build host, which copies straight to the target; this machine carries almost none of the closure', async () => {
    const marker = randomBytes(6).toString('hex');
    world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', `networking.hostName = "zephyrus";\n  environment.etc."built-on-builder".text = "${marker}";`);
    const before = await bytesThroughThisMachine(world.lab.record);
    const { job, record, events } = await world.deploy({ targets: ['zephyrus'] });
    const through = (await bytesThroughThisMachine(world.lab.record)) - before;
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const zephyrus = outcomeOf(record, 'zephyrus');
    const outPath = zephyrus.outPath!;
    expect(zephyrus.builtOn).toBe('builder');
    expect(zephyrus.copiedFrom).toBe('builder');
    // Built there, never here.
    expect((await world.lab.host('builder').exec(['nix-store', '--check-validity', outPath])).code).toBe(0);
    expect(locallyValid(outPath)).toBe(false);
    // The target runs it.
    expect(await world.lab.host('zephyrus').currentSystem()).toBe(outPath);
    // The closure went builder -> zephyrus; this machine's link carried the .drv files, ssh and the activation.
    expect(zephyrus.copiedBytes).toBeGreaterThan(1_000_000);
    console.log(`build host deploy: closure ${zephyrus.copiedBytes} bytes sent by the build host; this machine's link carried ${through} bytes`);
    expect(through).toBeLessThan(zephyrus.copiedBytes! / 4);
    const log = events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');
    expect(log).toMatch(/builder sends \d+ of \d+ paths/);
  });

  it('a build failing on the build host names the derivation and shows its log, as a local failure does', async () => {
    world.edit('systems/zephyrus/default.nix', '{ pkgs, ... }:', '{ lib, pkgs, ... }:');
    world.edit(
      'systems/zephyrus/default.nix',
      'environment.systemPackages = [ pkgs.age pkgs.sops ];',
      `environment.systemPackages = [ pkgs.age pkgs.sops (lib.build.runCommand {
    name = "backup-scripts-1.0";
    inherit (pkgs) system;
    script = ''
      echo "self-test ${randomBytes(4).toString('hex')}"
      echo "backup.sh: line 12: restic: command not found" >&2
      exit 1
    '';
  }) ];`,
    );
    const { job, record, events } = await world.deploy({ targets: ['zephyrus'] });
    expect(job.status).toBe('failed');
    const zephyrus = outcomeOf(record, 'zephyrus');
    expect(zephyrus.status).toBe('failed');
    expect(zephyrus.stage).toBe('build');
    expect(zephyrus.message).toMatch(/backup-scripts-1\.0 failed to build on builder/);
    const progress = events.flatMap((e) => (e.type === 'job.progress' ? (e.progress.targets ?? []) : [])).filter((t) => t.target === 'zephyrus');
    const failed = progress.at(-1)?.failedDerivations?.[0];
    expect(failed?.drv).toMatch(/backup-scripts-1\.0\.drv$/);
    expect(failed?.logTail.join('\n')).toContain('restic: command not found');
    const log = events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');
    expect(log).toMatch(/backup-scripts-1\.0 failed on builder; its full build log: ssh builder nix log \/nix\/store\/\S+backup-scripts-1\.0\.drv/);
  });

  it('an offline build host is reported before anything is built', async () => {
    const builder = world.lab.host('builder');
    await builder.cutNetwork('unreachable');
    try {
      const { job, record } = await world.deploy({ targets: ['zephyrus'] });
      expect(job.status).toBe('failed');
      const zephyrus = outcomeOf(record, 'zephyrus');
      expect(zephyrus.status).toBe('skipped');
      expect(zephyrus.message).toMatch(/build host builder is offline/);
      expect(zephyrus.stages.map((s) => s.name)).not.toContain('build');
    } finally {
      await builder.restoreNetwork();
    }
  });
});
