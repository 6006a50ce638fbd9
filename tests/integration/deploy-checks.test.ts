import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRecord } from '../../src-main/core/deploy/types';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

// Health checks after the switch, against a real lab host running the example homelab's
// moonlight: its status page (a real HTTP server in the host's namespace) and the stand-in
// systemd's unit state. A failed check rolls the host back; the deploy fails.

const repo = path.resolve(import.meta.dirname, '../..');
const hostFile = 'systems/moonlight/default.nix';
const metaFile = 'systems/moonlight/meta.json';

describe('health checks after a deploy', () => {
  let world: DeployWorld;
  let fault = 'none';

  const setFault = (next: 'none' | 'crash' | 'unhealthy') => {
    world.edit(hostFile, `services.status-page.fault = "${fault}";`, `services.status-page.fault = "${next}";`);
    fault = next;
  };
  const setChecks = (checks: unknown[]) => {
    const meta = JSON.parse(fs.readFileSync(path.join(world.checkout, metaFile), 'utf8')) as { deploy: Record<string, unknown> };
    meta.deploy.checks = checks;
    fs.writeFileSync(path.join(world.checkout, metaFile), `${JSON.stringify(meta, null, 2)}\n`);
    world.git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--allow-empty', '-qam', 'checks');
  };
  const statusPageUrl = () => `http://${world.lab.host('moonlight').address}:8080/health`;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['moonlight'] });
  }, 120_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('passing checks: unit, command, HTTP from this machine, and no unit newly failed', async () => {
    setChecks([{ unit: 'status-page.service' }, { command: ['status-page', '--check'], timeout: 5 }, { http: statusPageUrl(), status: 200, timeout: 5 }]);
    const { job, record } = await world.deploy({ targets: ['moonlight'] });
    const outcome = outcomeOf(record, 'moonlight');
    expect(job.status, outcome.message).toBe('succeeded');
    expect(outcome.checks?.map((c) => [c.label, c.status])).toEqual([
      ['unit status-page.service', 'passed'],
      ['command status-page --check', 'passed'],
      [`http ${statusPageUrl()} → 200`, 'passed'],
      ['no unit newly failed', 'passed'],
    ]);
    expect(outcome.checks?.[2]?.output).toContain('HTTP 200');
    expect(outcome.stages.map((s) => s.name)).toEqual(['preflight', 'build', 'copy', 'activate', 'checks', 'confirm']);
  });

  it('a failing unit check rolls the host back and the deploy (and fleet deploy) exits non-zero', async () => {
    const host = world.lab.host('moonlight');
    const before = await host.currentSystem();
    setChecks([{ unit: 'status-page.service', timeout: 3 }, { command: ['status-page', '--check'], timeout: 3 }]);
    setFault('crash');
    const cli = await promisify(execFile)(process.execPath, [path.join(repo, 'bin/fleet.js'), 'deploy', 'moonlight', '--flake', world.checkout, '--json'], {
      env: { ...world.env, FLEET_DATA_DIR: world.dataDir },
    }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(cli.code, cli.stderr).toBe(1);
    const record = JSON.parse(cli.stdout) as DeployRecord;
    const outcome = outcomeOf(record, 'moonlight');
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.message).toMatch(/^rolled back: check unit status-page\.service failed \(status-page\.service is failed\)/);
    expect(outcome.checks?.map((c) => c.status)).toEqual(['failed', 'skipped', 'skipped']);
    expect(outcome.checks?.[0]?.output).toContain('cannot open /var/lib/status-page/state');
    expect(cli.stderr).toContain('FAIL unit status-page.service');
    expect(outcome.stages.map((s) => [s.name, s.status])).toEqual([
      ['preflight', 'succeeded'],
      ['build', 'succeeded'],
      ['copy', 'succeeded'],
      ['activate', 'succeeded'],
      ['checks', 'succeeded'],
      ['rollback', 'rolled-back'],
    ]);
    expect(await host.currentSystem()).toBe(before);
    expect(outcome.rolledBackTo).toBe(outcome.previousGeneration);
  });

  it('a failing command check rolls back too', async () => {
    const host = world.lab.host('moonlight');
    const before = await host.currentSystem();
    setChecks([{ unit: 'status-page.service', timeout: 3 }, { command: ['status-page', '--check'], timeout: 3 }]);
    setFault('unhealthy');
    const { job, record } = await world.deploy({ targets: ['moonlight'] });
    const outcome = outcomeOf(record, 'moonlight');
    expect(job.status).toBe('failed');
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.message).toContain('check command status-page --check failed (exit code 22)');
    expect(outcome.checks?.map((c) => c.status)).toEqual(['passed', 'failed', 'skipped']);
    expect(outcome.checks?.[1]?.output).toContain('503');
    expect(await host.currentSystem()).toBe(before);
  });

  it('a failing HTTP check rolls back too', async () => {
    const host = world.lab.host('moonlight');
    const before = await host.currentSystem();
    setChecks([{ unit: 'status-page.service', timeout: 3 }, { http: statusPageUrl(), status: 200, timeout: 3 }]);
    // Still "unhealthy" from the test before: the deploy now is of a new revision with the HTTP check.
    const { job, record } = await world.deploy({ targets: ['moonlight'] });
    const outcome = outcomeOf(record, 'moonlight');
    expect(job.status).toBe('failed');
    expect(outcome.status).toBe('rolled-back');
    expect(outcome.message).toContain(`check http ${statusPageUrl()} → 200 failed (HTTP 503 (expected 200))`);
    expect(outcome.checks?.[1]?.output).toContain('unhealthy: the database is not ready');
    expect(await host.currentSystem()).toBe(before);
  });

  it('without checks of its own, a unit that fails because of the deploy still rolls it back', async () => {
    setChecks([]);
    setFault('crash');
    const { job, record } = await world.deploy({ targets: ['moonlight'] });
    const outcome = outcomeOf(record, 'moonlight');
    expect(job.status).toBe('failed');
    expect(outcome.status, outcome.message).toBe('rolled-back');
    expect(outcome.message).toContain('check no unit newly failed failed (failed since this deploy: status-page.service)');
  });

  it('--skip-checks keeps a broken generation', async () => {
    const host = world.lab.host('moonlight');
    const skipped = await world.deploy({ targets: ['moonlight'], skipChecks: true });
    expect(skipped.job.status).toBe('succeeded');
    const outcome = outcomeOf(skipped.record, 'moonlight');
    expect(outcome.checks).toBeUndefined();
    expect(outcome.stages.map((s) => s.name)).not.toContain('checks');
    expect(await host.currentSystem()).toBe(outcome.outPath);
  });

  it('a unit already failed before a deploy is reported, not blamed: a change elsewhere deploys', async () => {
    // status-page.service is failed since the deploy before (crash, kept with --skip-checks); this change leaves it alone.
    world.edit(hostFile, 'networking.hostName = "moonlight";', 'networking.hostName = "moonlight";\n  environment.etc."checks-test".text = "unrelated";');
    const { job, record } = await world.deploy({ targets: ['moonlight'] });
    const outcome = outcomeOf(record, 'moonlight');
    expect(job.status, outcome.message).toBe('succeeded');
    const noNew = outcome.checks?.at(-1);
    expect(noNew).toMatchObject({ label: 'no unit newly failed', status: 'passed' });
    expect(noNew?.output).toContain('already failed before the deploy (not blamed): status-page.service');
  });

  it('--no-rollback reports the failed check and keeps it', async () => {
    const host = world.lab.host('moonlight');
    setChecks([{ command: ['false'], timeout: 1 }]);
    setFault('none');
    const kept = await world.deploy({ targets: ['moonlight'], magicRollback: false });
    const keptOutcome = outcomeOf(kept.record, 'moonlight');
    expect(kept.job.status).toBe('failed');
    expect(keptOutcome.status).toBe('failed');
    expect(keptOutcome.message).toMatch(/^check command false failed \(exit code 1\); kept generation \d+ \(no rollback\)$/);
    expect(await host.currentSystem()).toBe(keptOutcome.outPath);

    setChecks([]);
    const again = await world.deploy({ targets: ['moonlight'] });
    const last = outcomeOf(again.record, 'moonlight').checks?.at(-1);
    expect(again.job.status).toBe('succeeded');
    expect(last).toMatchObject({ label: 'no unit newly failed', status: 'passed' });
  });

  it('a command check that hangs is ended at its timeout and the host rolled back', async () => {
    const host = world.lab.host('moonlight');
    const before = await host.currentSystem();
    setChecks([{ command: ['sleep', '600'], timeout: 2 }]);
    const { job, record } = await world.deploy({ targets: ['moonlight'] });
    const outcome = outcomeOf(record, 'moonlight');
    expect(job.status).toBe('failed');
    expect(outcome.status, outcome.message).toBe('rolled-back');
    expect(outcome.message).toContain('check command sleep 600 failed (timed out after 2 s)');
    expect(await host.currentSystem()).toBe(before);
  });

  it('a connection lost during the checks is no passed check: the host is rolled back, and the report says the connection went', async () => {
    const host = world.lab.host('moonlight');
    const before = await host.currentSystem();
    // The check itself ends every root SSH session on the host (ssh[d] so it does not match its own command line).
    setChecks([{ command: ['pkill', '-f', 'ssh[d].*root@'], timeout: 3 }]);
    world.edit(hostFile, 'networking.hostName = "moonlight";', 'networking.hostName = "moonlight";\n  environment.etc."checks-lost".text = "1";');
    const { job, record } = await world.deploy({ targets: ['moonlight'] });
    const outcome = outcomeOf(record, 'moonlight');
    expect(job.status).toBe('failed');
    expect(outcome.status, outcome.message).toBe('rolled-back');
    expect(outcome.message).toMatch(/^lost the connection during the health checks \(the new generation broke SSH\?\): rolled back to generation \d+$/);
    expect(await host.currentSystem()).toBe(before);
  });

  it('a command check runs as the deploy user (not root), even when the deploy becomes root through sudo', async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(world.checkout, metaFile), 'utf8')) as { deploy: Record<string, unknown> };
    fs.writeFileSync(path.join(world.checkout, metaFile), `${JSON.stringify({ ...meta, deploy: { ...meta.deploy, user: world.lab.deployUser, sudo: true, checks: [{ command: ['id', '-un'] }] } }, null, 2)}\n`);
    world.git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'deploy as the deploy user');
    const { job, record } = await world.deploy({ targets: ['moonlight'] });
    const outcome = outcomeOf(record, 'moonlight');
    expect(job.status, outcome.message).toBe('succeeded');
    expect(outcome.checks?.[0]).toMatchObject({ label: 'command id -un', status: 'passed' });
    expect(outcome.checks?.[0]?.output?.trim()).toBe(world.lab.deployUser);
  });
});
