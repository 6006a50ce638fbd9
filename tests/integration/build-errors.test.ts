import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetError } from '../../src-main/core/contract';
import type { NixInfo } from '../../src-main/core/nix/nix-info';
import { copyHomelab, openCore, processesMatching, runJob, testEnv, withMoonlightPackage, type Session } from './build-homelab';

const moonlight = (dir: string) => path.join(dir, 'systems/moonlight/default.nix');

describe('builds that go wrong', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const open = (edit?: (dir: string) => void, env = testEnv): Session => {
    const root = copyHomelab(edit);
    const session = openCore(root, env);
    cleanup.push(() => fs.rmSync(root, { recursive: true, force: true }), () => session.close());
    return session;
  };

  it('refuses an unknown target at once, naming close matches', async () => {
    const session = open();
    const error = await session.core.invoke('build.start', { targets: ['moonlite'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).code).toBe('not-found');
    expect((error as FleetError).message).toMatch(/Did you mean moonlight\?/);
    expect(session.core.context.jobs.list()).toEqual([]);
  });

  it('reports a syntax error with the file and line in the checkout', async () => {
    const session = open((dir) => fs.appendFileSync(moonlight(dir), '{ broken = ;\n'));
    const info = await runJob(session, 'build.start', { targets: ['moonlight'] });
    expect(info.status).toBe('failed');
    expect(info.error?.message).toMatch(/syntax error/);
    const root = session.core.context.root();
    expect(info.error?.location?.file).toBe(moonlight(root));
    const lines = fs.readFileSync(moonlight(root), 'utf8').split('\n');
    expect(lines[info.error!.location!.line - 1]).toContain('broken');
  });

  it('names the derivation that failed and keeps the end of its log', async () => {
    const session = open((dir) => {
      const file = moonlight(dir);
      fs.writeFileSync(
        file,
        withMoonlightPackage(fs.readFileSync(file, 'utf8'), 'backup-scripts-1.0', [
          `echo "self-test ${Date.now()}"`,
          'echo "backup.sh: line 12: restic: command not found" >&2',
          'exit 1',
        ]),
      );
    });
    const info = await runJob(session, 'build.start', { targets: ['moonlight'] });
    expect(info.status).toBe('failed');
    expect(info.error?.message).toMatch(/backup-scripts-1.0 failed to build/);
    expect(info.error?.hint).toMatch(/nix log \/nix\/store\/.*backup-scripts-1.0.drv/);
    const target = info.progress?.targets?.[0];
    expect(target?.status).toBe('failed');
    expect(target?.failedDerivations?.[0]?.logTail.join('\n')).toContain('restic: command not found');
    // The whole log, as `nix log` keeps it.
    const drv = target!.failedDerivations![0]!.drv;
    const whole = (await session.core.invoke('build.derivationLog', { drv })) as { lines: string[] };
    expect(whole.lines).toContain('backup.sh: line 12: restic: command not found');
    const never = await session.core
      .invoke('build.derivationLog', { drv: drv.replace(/\/[0-9a-z]{32}-/, '/00000000000000000000000000000000-') })
      .catch((e: unknown) => e);
    expect(never).toBeInstanceOf(FleetError);
    const bad = await session.core.invoke('build.derivationLog', { drv: '/etc/passwd' }).catch((e: unknown) => e);
    expect((bad as FleetError).code).toBe('invalid-input');
  });

  it('cancels half-way and leaves no nix or builder process behind', async () => {
    const marker = `${300 + Math.floor(Math.random() * 600)}.${Date.now() % 100000}`;
    const session = open((dir) => {
      const file = moonlight(dir);
      fs.writeFileSync(file, withMoonlightPackage(fs.readFileSync(file, 'utf8'), 'slow-tool-1.0', ['phase buildPhase', `sleep ${marker} &`, `sleep ${marker}`]));
    });
    const { jobId } = (await session.core.invoke('build.start', { targets: ['moonlight'] })) as { jobId: string };
    // Wait until the slow derivation runs and its sleep exists.
    const deadline = Date.now() + 60_000;
    const runningNames = () => (session.core.context.jobs.get(jobId)?.progress?.targets?.[0]?.running ?? []).map((r) => r.name);
    while (processesMatching(`sleep ${marker}`).length < 2 || !runningNames().includes('slow-tool-1.0')) {
      if (Date.now() > deadline) throw new Error('the slow build never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(session.core.context.jobs.cancel(jobId)).toBe(true);
    const info = await session.core.context.jobs.wait(jobId);
    expect(info.status).toBe('cancelled');
    expect(processesMatching(`sleep ${marker}`)).toEqual([]);
    expect(processesMatching(session.core.context.root()).filter((p) => /\bnix\b/.test(p.cmdline))).toEqual([]);
  });

  it('explains how to install nix when it is missing, and refuses to build', async () => {
    const env = { ...testEnv, FLEET_NIX: '/nonexistent/bin/nix' };
    const session = open(undefined, env);
    const info = (await session.core.invoke('nix.info', {})) as NixInfo;
    expect(info.found).toBe(false);
    expect(info.problem).toContain('/nonexistent/bin/nix');
    expect(info.install?.steps.join(' ')).toMatch(/nixos\.org/);
    const error = await session.core.invoke('build.start', { targets: ['moonlight'] }).catch((e: unknown) => e);
    expect((error as FleetError).code).toBe('nix-missing');
    expect((error as FleetError).hint).toMatch(/Install Nix/);
    // Read-only work on the checkout goes on without nix.
    expect(await session.core.invoke('checkout.current', {})).toMatchObject({ hasFlake: true });
  });
});
