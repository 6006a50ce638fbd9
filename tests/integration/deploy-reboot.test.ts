import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRecord, HostStatus } from '../../src-main/core/deploy/types';
import type { FleetEvent } from '../../src-main/core/events';
import type { PowerEvent } from '../harness/hosts/power.js';
import { formatClock } from '../../src-main/shared/units';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

// Reboots the app orchestrates, against lab hosts that really go down and boot their boot
// loader's default generation (tests/harness/hosts/power.ts): a kernel bump deployed with
// --reboot, a boot that falls back to the previous generation, a host that never comes back,
// one that comes back only after the timeout, one that never goes down, a canary, and a
// rolling reboot of three hosts read back from the hosts' power logs.

const repo = path.resolve(import.meta.dirname, '../..');

interface Cli {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('reboots: fleet reboot and fleet deploy --reboot', () => {
  let world: DeployWorld;

  const fleet = (...args: string[]): Promise<Cli> =>
    promisify(execFile)(process.execPath, [path.join(repo, 'bin/fleet.js'), ...args, '--flake', world.checkout], {
      env: { ...world.env, FLEET_DATA_DIR: world.dataDir },
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      (done) => ({ code: 0, stdout: done.stdout, stderr: done.stderr }),
      (error: Cli) => error,
    );
  const status = async (target: string): Promise<HostStatus> => {
    const hosts = (await world.core().invoke('deploy.status', { targets: [target], evaluate: false })) as readonly HostStatus[];
    return hosts[0]!;
  };
  const powerSince = async (name: string, from: number): Promise<readonly PowerEvent[]> => (await world.lab.host(name).powerEvents()).slice(from);
  const powerCount = async (name: string): Promise<number> => (await world.lab.host(name).powerEvents()).length;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['moonlight', 'zephyrus', 'lg-laptop'] });
    // The first install of each counts as its boot.
    const first = await world.deploy({ targets: ['moonlight', 'zephyrus', 'lg-laptop'] });
    expect(first.job.status, JSON.stringify(first.record?.outcomes.map((o) => o.message))).toBe('succeeded');
  }, 600_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('a kernel bump shows "reboot needed"; fleet deploy --reboot brings the host back on the new generation', async () => {
    const moonlight = world.lab.host('moonlight');
    world.edit('systems/moonlight/default.nix', 'boot.kernel.version = "6.6.30";', 'boot.kernel.version = "6.6.32";');
    const switched = await world.deploy({ targets: ['moonlight'] });
    expect(switched.job.status).toBe('succeeded');
    expect(outcomeOf(switched.record, 'moonlight').needsReboot).toBe(true);
    expect((await status('moonlight')).needsReboot).toBe(true);

    world.edit('systems/moonlight/default.nix', 'boot.kernel.version = "6.6.32";', 'boot.kernel.version = "6.6.33";');
    const before = await powerCount('moonlight');
    const cli = await fleet('deploy', 'moonlight', '--reboot', '--reboot-timeout', '90', '--json');
    expect(cli.code, cli.stderr).toBe(0);
    const record = JSON.parse(cli.stdout) as DeployRecord;
    expect(record.reboot).toBe('after-deploy');
    expect(record.mode).toBe('boot');
    const outcome = outcomeOf(record, 'moonlight');
    expect(outcome.status, outcome.message).toBe('succeeded');
    expect(outcome.stages.map((s) => [s.name, s.status])).toEqual([
      ['preflight', 'succeeded'],
      ['build', 'succeeded'],
      ['copy', 'succeeded'],
      ['activate', 'succeeded'],
      ['reboot', 'succeeded'],
      ['checks', 'succeeded'],
    ]);
    expect(outcome.message).toMatch(new RegExp(`^rebooted into generation ${outcome.generation} \\(back after \\d+ s\\)$`));
    expect(outcome.reboot).toMatchObject({ result: 'came-back', bootedSystem: outcome.outPath, bootedGeneration: outcome.generation, expectedGeneration: outcome.generation });
    expect(outcome.checks?.map((c) => [c.label, c.status])).toEqual([
      ['unit status-page.service', 'passed'],
      ['command status-page --check', 'passed'],
      ['no unit newly failed', 'passed'],
    ]);
    expect(outcome.needsReboot).toBe(false);
    expect(cli.stderr).toMatch(/reboot: booted generation \d+ \(expected \d+\), back after \d+ s/);
    // The host really went down and booted the new generation.
    expect((await powerSince('moonlight', before)).map((e) => e.event.split(' ')[0])).toEqual(['shutting-down', 'down', 'booting', 'up']);
    expect(await moonlight.bootedSystem()).toBe(outcome.outPath);
    expect(await moonlight.currentSystem()).toBe(outcome.outPath);
    const after = await status('moonlight');
    expect(after.needsReboot).toBe(false);
    expect(after.bootedSystem).toBe(outcome.outPath);
    // The deploy lock it took again after the reboot is released.
    expect(after.lock).toBeUndefined();
  }, 600_000);

  it('a host that boots the old generation is reported as such, and the deploy fails', async () => {
    const zephyrus = world.lab.host('zephyrus');
    await zephyrus.bootPreviousGenerationNextTime();
    world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', 'networking.hostName = "zephyrus";\n  environment.etc."reboot-test".text = "new";');
    const { job, record } = await world.deploy({ targets: ['zephyrus'], reboot: { timeoutSeconds: 90 } });
    expect(job.status).toBe('failed');
    const outcome = outcomeOf(record, 'zephyrus');
    expect(outcome.status).toBe('failed');
    expect(outcome.errorCode).toBe('booted-other-generation');
    expect(outcome.previousGeneration).toBeDefined();
    expect(outcome.message).toBe(`booted the previous generation ${outcome.previousGeneration} instead of ${outcome.generation}`);
    expect(outcome.reboot).toMatchObject({ result: 'other-generation', bootedGeneration: outcome.previousGeneration, expectedGeneration: outcome.generation });
    expect(outcome.stages.map((s) => s.name)).toEqual(['preflight', 'build', 'copy', 'activate', 'reboot']);
    expect(await zephyrus.bootedSystem()).not.toBe(outcome.outPath);
    expect(job.error?.message).toContain('booted the previous generation');
  }, 600_000);

  it('a host that never comes back is reported after the timeout while the other hosts go on', async () => {
    const moonlight = world.lab.host('moonlight');
    await moonlight.neverComeBack();
    const before = { moonlight: await powerCount('moonlight'), lg: await powerCount('lg-laptop') };
    // lg-laptop reboots within this timeout even when another test file loads the machine.
    const { job, record, events } = await world.deploy({ targets: ['moonlight', 'lg-laptop'], timeoutSeconds: 25 }, { command: 'deploy.reboot' });
    try {
      expect(job.status).toBe('failed');
      expect(record?.reboot).toBe('only');
      const lost = outcomeOf(record, 'moonlight');
      expect(lost.status).toBe('failed');
      expect(lost.errorCode).toBe('did-not-come-back');
      expect(lost.message).toMatch(/^did not come back within 25 s \(last seen \d\d:\d\d:\d\d, not answering since \d\d:\d\d:\d\d\)/);
      expect(lost.reboot?.result).toBe('not-back');
      expect(lost.reboot?.downAt).toBeDefined();
      expect(lost.hint).toContain('Nothing was retried');
      // Watched while lg-laptop rebooted (and as long again as the timeout), then given up on: it never answered.
      expect(progressMessages(events, 'moonlight').some((m) => /; still watching for it until \d\d:\d\d:\d\d at least, without rebooting it again$/.test(m))).toBe(true);
      expect(lost.message).toMatch(/; no answer by \d\d:\d\d:\d\d either \(not rebooted again\)$/);
      expect(lost.reboot?.answeredLaterAt).toBeUndefined();
      // The other host rebooted after it, on its boot default, and passed its checks.
      const other = outcomeOf(record, 'lg-laptop');
      expect(other.status, other.message).toBe('succeeded');
      expect(other.reboot?.result).toBe('came-back');
      expect((await powerSince('lg-laptop', before.lg)).map((e) => e.event.split(' ')[0])).toEqual(['shutting-down', 'down', 'booting', 'up']);
      // Asked once, never again: one shutdown in moonlight's power log.
      expect((await powerSince('moonlight', before.moonlight)).filter((e) => e.event.startsWith('shutting-down'))).toHaveLength(1);
      // The wait was shown as it went.
      expect(progressMessages(events, 'moonlight').some((m) => /^waiting for moonlight to come back, \d+ s$/.test(m))).toBe(true);
    } finally {
      await moonlight.powerOn();
      await moonlight.waitForPowerState('up', 60_000);
    }
  }, 600_000);

  it('a host that comes back only after the timeout is reported as not back in time, then with what it booted when it answers; it is not rebooted again', async () => {
    const moonlight = world.lab.host('moonlight');
    const before = await powerCount('moonlight');
    // Dark for longer than the app waits: it cannot answer within the 30 s, whatever the load.
    await moonlight.comeBackLate(32);
    // The history as another process (the desktop app beside this CLI) reads it while the reboot runs.
    const reader = world.core();
    let interim: DeployRecord | undefined;
    let running = true;
    const readHistory = (async () => {
      while (running && !interim) {
        const [latest] = (await reader.invoke('deploy.history', { limit: 1 })) as readonly DeployRecord[];
        if (latest?.status === 'running' && latest.outcomes.some((o) => o.target === 'moonlight' && o.errorCode === 'did-not-come-back')) interim = latest;
        await sleep(200);
      }
    })();
    const cli = await fleet('reboot', 'moonlight', '--timeout', '30', '--json');
    running = false;
    await readHistory;
    expect(cli.code, cli.stderr).toBe(1);
    const record = JSON.parse(cli.stdout) as DeployRecord;
    const outcome = outcomeOf(record, 'moonlight');
    // While it was still watched, the history already said: failed, not back in time, nothing it booted yet.
    expect(interim?.id, cli.stderr).toBe(record.id);
    const reported = outcomeOf(interim, 'moonlight');
    expect(reported).toMatchObject({ status: 'failed', errorCode: 'did-not-come-back' });
    expect(reported.message).toMatch(/^did not come back within 30 s \(last seen \d\d:\d\d:\d\d, not answering since \d\d:\d\d:\d\d\)$/);
    expect(reported.reboot).toMatchObject({ result: 'not-back' });
    expect(reported.reboot?.answeredLaterAt).toBeUndefined();
    expect(reported.reboot?.bootedSystem).toBeUndefined();
    expect(outcome.status).toBe('failed');
    expect(outcome.errorCode).toBe('did-not-come-back');
    expect(outcome.hint).toContain('Nothing was retried');
    const answered = new RegExp(
      `^did not come back within 30 s \\(last seen \\d\\d:\\d\\d:\\d\\d, not answering since \\d\\d:\\d\\d:\\d\\d\\); it answered (\\d+) s after the reboot was asked for, having booted generation ${outcome.generation}$`,
    );
    expect(outcome.message).toMatch(answered);
    expect(Number(answered.exec(outcome.message!)![1])).toBeGreaterThan(30);
    // The report keeps what was known at the timeout and adds what it booted when it answered.
    const report = outcome.reboot!;
    expect(report).toMatchObject({ result: 'not-back', bootedSystem: outcome.outPath, bootedGeneration: outcome.generation, expectedGeneration: outcome.generation });
    expect(report.backAt).toBeUndefined();
    expect(report.downAt).toBeDefined();
    expect(report.answeredLaterAt! - report.requestedAt).toBeGreaterThan(30_000);
    // When it came back: the moment it answered, after the host's own power log says it booted, before the reboot's record ended.
    const booting = (await powerSince('moonlight', before)).find((e) => e.event.startsWith('booting'));
    expect(report.answeredLaterAt!).toBeGreaterThanOrEqual(booting!.at);
    expect(report.answeredLaterAt!).toBeLessThanOrEqual(record.finishedAt!);
    // Its health checks were not run and nothing came after the reboot stage.
    expect(outcome.checks).toBeUndefined();
    expect(outcome.stages.map((s) => [s.name, s.status])).toEqual([
      ['preflight', 'succeeded'],
      ['reboot', 'failed'],
    ]);
    // First reported as not back, then that it is still watched, then what it booted: in that order, as it went.
    const lines = cli.stderr.split('\n');
    const notBack = lines.findIndex((l) => /^\[moonlight\] did not come back within 30 s \(last seen [\d:]+, not answering since [\d:]+\)$/.test(l));
    const watched = lines.findIndex((l) => /^\[moonlight\] still watching for moonlight until \d\d:\d\d:\d\d at least, without rebooting it again$/.test(l));
    const later = lines.findIndex((l) => l.startsWith('[moonlight] did not come back within 30 s') && l.includes('; it answered'));
    expect(notBack, cli.stderr).toBeGreaterThanOrEqual(0);
    expect(watched, cli.stderr).toBeGreaterThan(notBack);
    expect(later, cli.stderr).toBeGreaterThan(watched);
    expect(cli.stderr).toContain(`reboot: not back; last seen ${formatClock(report.lastSeenAt)}; answered later at ${formatClock(report.answeredLaterAt!)}, booted generation ${outcome.generation} (expected ${outcome.generation})`);
    // Asked once, never again: one shutdown, dark for the fault's 32 s, one boot, of its boot default.
    expect((await powerSince('moonlight', before)).map((e) => e.event.split(' ')[0])).toEqual(['shutting-down', 'down', 'dark', 'booting', 'up']);
    expect(await moonlight.bootedSystem()).toBe(outcome.outPath);
    // Nothing of the deploy is left on it: no lock from before the reboot, none taken after.
    const after = await status('moonlight');
    expect(after.lock).toBeUndefined();
    expect(after.bootedSystem).toBe(outcome.outPath);
  }, 600_000);

  it('a host that does not go down is reported with when it last answered; it is not asked again and its deploy lock is released', async () => {
    const zephyrus = world.lab.host('zephyrus');
    const before = await powerCount('zephyrus');
    const booted = await zephyrus.bootedSystem();
    await zephyrus.ignoreNextReboot();
    const cli = await fleet('reboot', 'zephyrus', '--timeout', '10', '--json');
    expect(cli.code, cli.stderr).toBe(1);
    const record = JSON.parse(cli.stdout) as DeployRecord;
    const outcome = outcomeOf(record, 'zephyrus');
    expect(outcome.status).toBe('failed');
    expect(outcome.errorCode).toBe('did-not-go-down');
    expect(outcome.message).toMatch(
      /^did not go down within 10 s of asking it to reboot \(last answered \d\d:\d\d:\d\d, still on its old boot\); it still answered from its old boot at \d\d:\d\d:\d\d \(not asked again\)$/,
    );
    expect(outcome.reboot).toMatchObject({ result: 'not-down' });
    expect(outcome.reboot?.downAt).toBeUndefined();
    // Asked once: one request, ignored; it never went down.
    expect((await powerSince('zephyrus', before)).map((e) => e.event)).toEqual(['reboot ignored']);
    expect(await zephyrus.bootedSystem()).toBe(booted);
    // The lock the reboot took is released (it was in /run, which no reboot emptied).
    expect((await status('zephyrus')).lock).toBeUndefined();
  }, 600_000);

  it('--canary: the first host reboots alone, and when it fails the others are not rebooted', async () => {
    await world.lab.host('moonlight').bootPreviousGenerationNextTime();
    const before = await powerCount('zephyrus');
    const cli = await fleet('reboot', 'moonlight', 'zephyrus', '--canary', '--timeout', '90', '--json');
    expect(cli.code).toBe(1);
    const record = JSON.parse(cli.stdout) as DeployRecord;
    expect(outcomeOf(record, 'moonlight').message).toMatch(/^booted the previous generation \d+ instead of \d+$/);
    expect(outcomeOf(record, 'zephyrus')).toMatchObject({ status: 'skipped', message: 'skipped: the canary moonlight did not succeed' });
    expect(await powerCount('zephyrus')).toBe(before);
  }, 600_000);

  it('a rolling reboot of three hosts with --parallel 1 never has two down at once (from the hosts\' power logs)', async () => {
    const names = ['moonlight', 'zephyrus', 'lg-laptop'] as const;
    const before = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await powerCount(n)] as const)));
    const cli = await fleet('reboot', ...names, '--parallel', '1', '--timeout', '90', '--json');
    expect(cli.code, cli.stderr).toBe(0);
    const record = JSON.parse(cli.stdout) as DeployRecord;
    for (const name of names) {
      const outcome = outcomeOf(record, name);
      expect(outcome.status, `${name}: ${outcome.message}`).toBe('succeeded');
      // Each boots its boot default: zephyrus and moonlight had fallen back to an older one.
      expect(outcome.reboot?.bootedGeneration).toBe(outcome.generation);
      expect(await world.lab.host(name).bootedSystem()).toBe(outcome.outPath);
    }
    // Each host's time away: from "shutting-down" to "up", as its own power supervisor logged it.
    const windows = await Promise.all(
      names.map(async (name) => {
        const events = await powerSince(name, before[name]!);
        const start = events.find((e) => e.event.startsWith('shutting-down'));
        const up = events.find((e) => e.event === 'up');
        expect(start, `${name} rebooted`).toBeDefined();
        expect(up, `${name} came back`).toBeDefined();
        return { name, start: start!.at, end: up!.at };
      }),
    );
    const ordered = [...windows].sort((a, b) => a.start - b.start);
    for (let i = 1; i < ordered.length; i++) {
      expect(ordered[i]!.start, `${ordered[i]!.name} went down while ${ordered[i - 1]!.name} was not back`).toBeGreaterThan(ordered[i - 1]!.end);
    }
    // In the order they were named.
    expect(ordered.map((w) => w.name)).toEqual([...names]);
  }, 600_000);

  it('a deploy user that is not root reboots the host through sudo', async () => {
    const meta = path.join(world.checkout, 'systems/zephyrus/meta.json');
    const original = fs.readFileSync(meta, 'utf8');
    fs.writeFileSync(meta, JSON.stringify({ system: 'x86_64-linux', deploy: { user: 'deploy', sudo: true } }));
    const zephyrus = world.lab.host('zephyrus');
    try {
      const before = await powerCount('zephyrus');
      // Without its sudo rights the same reboot is refused and nothing goes down: sudo is what reboots it.
      await zephyrus.exec(['mv', '/etc/sudoers.d/fleet-lab', '/etc/fleet-lab.sudoers.off']);
      try {
        const refused = await fleet('reboot', 'zephyrus', '--timeout', '30', '--json');
        expect(refused.code, refused.stderr).toBe(1);
        expect(await powerCount('zephyrus')).toBe(before);
      } finally {
        await zephyrus.exec(['mv', '/etc/fleet-lab.sudoers.off', '/etc/sudoers.d/fleet-lab']);
      }
      const cli = await fleet('reboot', 'zephyrus', '--timeout', '90', '--json');
      expect(cli.code, cli.stderr).toBe(0);
      const outcome = outcomeOf(JSON.parse(cli.stdout) as DeployRecord, 'zephyrus');
      expect(outcome.status, outcome.message).toBe('succeeded');
      expect(outcome.reboot?.result).toBe('came-back');
      expect(outcome.reboot?.bootedGeneration).toBe(outcome.generation);
      // The lab refuses a reboot from a user that is not root (harness-reboot's test), so this
      // one went through sudo: asked once, one boot.
      expect((await powerSince('zephyrus', before)).map((e) => e.event.split(' ')[0])).toEqual(['shutting-down', 'down', 'booting', 'up']);
      expect((await status('zephyrus')).lock).toBeUndefined();
    } finally {
      fs.writeFileSync(meta, original);
    }
  }, 600_000);
});

/** The progress messages a job showed for one target. */
function progressMessages(events: readonly FleetEvent[], target: string): string[] {
  return events.flatMap((e) => (e.type === 'job.progress' ? (e.progress.targets ?? []).filter((t) => t.target === target && t.message).map((t) => t.message!) : []));
}
