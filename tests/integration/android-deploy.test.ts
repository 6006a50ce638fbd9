// Deploying flake/'s droid to an EMULATED phone (tests/harness/phone) through the real adb
// server, built on the phone: deploy, edit and deploy again (a new generation), roll back, and
// an unplug in the middle of a deploy that is reported from what the phone shows after
// reconnecting. Rolling back is a run of the same pipeline (deploy.rollback / droid.rollback).
// Built on this computer: droid-deploy-build-here.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DroidDeployResult } from '../../src-main/core/android/types';
import type { DeviceList } from '../../src-main/core/android/types';
import { readyPhoneWorld } from './android-world';
import type { DeployRecord } from '../../src-main/core/deploy/types';
import type { FleetEvent } from '../../src-main/core/events';
import type { JobInfo } from '../../src-main/core/jobs/types';
import type { SinceDeployedReport } from '../../src-main/core/deploy/since-deployed';
import { initialTrayState, reduceTray, type NotificationSpec } from '../../src-main/shared/tray-model';

const repo = resolve(import.meta.dirname, '../..');

/** Run the `fleet` command line as a separate process. */
function fleet(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repo, 'bin/fleet.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const lab = readyPhoneWorld();

function bumpTimeZone(zone: string): void {
  const file = join(lab.world.checkout, 'droids/soriphoono/default.nix');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/time\.timeZone = "[^"]*";/, `time.timeZone = "${zone}";`));
}

describe('droid deploy to an emulated phone over adb', () => {
  it('lists the emulated phone through the real adb server as arm64-v8a', async () => {
    const list = (await lab.world.core.invoke('devices.list', {})) as DeviceList;
    expect(list.adbPort).toBe(lab.world.adbPort);
    const device = list.devices.find((d) => d.serial === lab.phone.serial);
    expect(device).toMatchObject({ state: 'device', abi: 'arm64-v8a', transport: 'wireless' });
    expect(device?.battery).toBeGreaterThan(0);
  });

  it('cancels a deploy: the switch on the phone is stopped and no generation is made', async () => {
    const { jobId } = (await lab.world.core.invoke('droid.deploy', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key })) as { jobId: string };
    const off = lab.world.core.subscribe((event) => {
      if (event.type === 'job.log' && event.jobId === jobId && event.lines.some((l) => l.text.startsWith('Building activation package'))) {
        off();
        void lab.world.core.invoke('jobs.cancel', { jobId });
      }
    });
    const info = await lab.world.core.context.jobs.wait(jobId);
    off();
    expect(info.status).toBe('cancelled');
    const status = await lab.phone.runInApp(['cat', '.cache/fleet/switch-soriphoono/status']);
    expect(status.output.trim()).not.toBe('0');
    const profile = await lab.phone.runInApp(['readlink', '/nix/var/nix/profiles/nix-on-droid']);
    expect(profile.output.trim()).toBe('');
  });

  it('deploys, deploys an edit as a new generation, and rolls back', async () => {
    const events: FleetEvent[] = [];
    const off = lab.world.core.subscribe((event) => events.push(event));
    const first = await lab.world.job('droid.deploy', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key });
    off();
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('succeeded');
    // One deploy pipeline: a phone deploy is a deploy job, with the deploy.* events and a history record.
    expect(first.kind).toBe('deploy');
    expect(events.find((e) => e.type === 'deploy.started')).toMatchObject({ jobId: first.id, targets: ['droid:soriphoono'] });
    const finished = events.find((e) => e.type === 'deploy.finished');
    expect(finished).toMatchObject({ jobId: first.id, status: 'succeeded', outcomes: [{ target: 'droid:soriphoono', host: `adb:${lab.phone.serial}`, status: 'succeeded', generation: 1 }] });
    const record = (await lab.world.core.invoke('deploy.get', { id: first.id })) as DeployRecord;
    expect(record.outcomes[0]!.stages.map((stage) => stage.name)).toEqual(['preflight', 'copy', 'activate']);
    const r1 = first.result as DroidDeployResult;
    expect(r1.after).toBe(1);
    expect(lab.world.asked.some((q) => q.kind === 'host-key')).toBe(true);
    const log = readFileSync(first.logFile, 'utf8');
    expect(log).toContain('Nix-on-Droid activation done');

    bumpTimeZone('Asia/Tokyo');
    await lab.world.git(['commit', '-qam', 'droid: Tokyo']);
    const second = await lab.world.job('droid.deploy', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key });
    expect(second.status).toBe('succeeded');
    expect(second.result).toMatchObject({ before: 1, after: 2 });
    const tz = await lab.phone.runInApp(['cat', '.nix-on-droid/etc/timezone']);
    expect(tz.output.trim()).toBe('Asia/Tokyo');

    const generations = (await lab.world.core.invoke('droid.generations', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key })) as { number: number; current: boolean }[];
    expect(generations.map((g) => g.number)).toEqual([1, 2]);
    expect(generations.find((g) => g.current)?.number).toBe(2);

    const back = await lab.world.job('droid.rollback', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key });
    expect(back.status).toBe('succeeded');
    expect(back.result).toMatchObject({ before: 2, after: 1 });
    const tzBack = await lab.phone.runInApp(['cat', '.nix-on-droid/etc/timezone']);
    expect(tzBack.output.trim()).toBe('Europe/Berlin');
  });

  it('rolls the emulated phone back and forth through the one deploy pipeline: history, deploy.* events and the tray, like a host rollback', async () => {
    const events: FleetEvent[] = [];
    const off = lab.world.core.subscribe((event) => events.push(event));
    // To a chosen generation with the host command (deploy.rollback, target droid:<name>)...
    const forward = await lab.world.job('deploy.rollback', { target: 'droid:soriphoono', generation: 2, phone: { serial: lab.phone.serial, identityFile: lab.world.key } });
    // ...and back to the previous one with the droid alias (what `fleet droid rollback` and the Droids screen run).
    const back = await lab.world.job('droid.rollback', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key });
    off();
    expect(forward.error).toBeUndefined();
    expect(forward).toMatchObject({ kind: 'rollback', status: 'succeeded', targets: ['droid:soriphoono'] });
    expect(back).toMatchObject({ kind: 'rollback', status: 'succeeded', targets: ['droid:soriphoono'] });
    expect(back.result).toMatchObject({ droid: 'soriphoono', before: 2, after: 1, route: { kind: 'adb', serial: lab.phone.serial } });
    expect((await lab.phone.runInApp(['cat', '.nix-on-droid/etc/timezone'])).output.trim()).toBe('Europe/Berlin');
    expect((await lab.phone.runInApp(['readlink', '/nix/var/nix/profiles/nix-on-droid'])).output.trim()).toBe('nix-on-droid-1-link');

    for (const [job, from, to] of [[forward, 1, 2], [back, 2, 1]] as const) {
      expect(events.find((e) => e.type === 'deploy.started' && e.jobId === job.id)).toMatchObject({ targets: ['droid:soriphoono'] });
      const finished = events.find((e) => e.type === 'deploy.finished' && e.jobId === job.id);
      expect(finished).toMatchObject({ status: 'succeeded', outcomes: [{ target: 'droid:soriphoono', status: 'succeeded', previousGeneration: from, generation: to, message: `rolled back to generation ${to}` }] });
      // In the deploy history like any deploy: pre-flight (the phone's lock) and activate, nothing built or copied.
      const record = (await lab.world.core.invoke('deploy.get', { id: job.id })) as DeployRecord;
      expect(record.status).toBe('succeeded');
      expect(record.outcomes[0]!.stages.map((stage) => stage.name)).toEqual(['preflight', 'activate']);
    }
    // The tray announces it as it does a host's rollback: from deploy.finished, once.
    let tray = initialTrayState;
    const notes: NotificationSpec[] = [];
    for (const event of events) {
      const next = reduceTray(tray, event);
      tray = next.state;
      notes.push(...next.notifications);
    }
    expect(notes.filter((n) => n.jobId === back.id)).toEqual([{ title: 'Deploy finished', body: '1 deployed', jobId: back.id, urgent: false }]);
    expect(tray.recent.find((j) => j.id === back.id)).toMatchObject({ kind: 'rollback', status: 'succeeded' });
    // The phone's lock was taken and given back: nothing is left behind for the next deploy.
    expect((await lab.phone.runInApp(['sh', '-c', 'test -e .cache/homelab-fleet/lock && echo held || echo free'])).output.trim()).toBe('free');
  });

  it('refuses to roll a phone back past its first generation, and says which ones it has', async () => {
    const info = await lab.world.job('deploy.rollback', { target: 'droid:soriphoono', phone: { serial: lab.phone.serial, identityFile: lab.world.key } });
    expect(info.status).toBe('failed');
    expect(info.error?.message).toMatch(/has no generation before 1 \(generations: 1, 2\)/);
    expect((await lab.phone.runInApp(['readlink', '/nix/var/nix/profiles/nix-on-droid'])).output.trim()).toBe('nix-on-droid-1-link');
  });

  it('reports a build failure on the phone with the log tail and keeps the generation', async () => {
    const file = join(lab.world.checkout, 'droids/soriphoono/default.nix');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('time.timeZone', 'no.such.option = 1;\n  time.timeZone'));
    const failed = await lab.world.job('droid.deploy', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key, source: 'worktree' });
    writeFileSync(file, good);
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/nix-on-droid switch failed on the phone \(exit \d+\); it stays on generation 1/);
    expect(failed.error?.message).toMatch(/no\.such\.option|does not exist/);
  });

  it('unplugged mid-deploy: reports what the phone finished with after reconnecting', async () => {
    bumpTimeZone('America/Lima');
    await lab.world.git(['commit', '-qam', 'droid: Lima']);
    const { jobId } = (await lab.world.core.invoke('droid.deploy', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key })) as { jobId: string };
    // Pull the plug as soon as the switch starts on the phone.
    const started = await new Promise<boolean>((resolve) => {
      const off = lab.world.core.subscribe((event) => {
        if (event.type === 'job.log' && event.jobId === jobId && event.lines.some((l) => l.text.startsWith('Building activation package'))) {
          off();
          resolve(true);
        }
        if (event.type === 'job.status' && event.job.id === jobId && event.job.status !== 'running') {
          off();
          resolve(false);
        }
      });
    });
    expect(started).toBe(true);
    await lab.phone.disconnect('unplug');
    await new Promise((r) => setTimeout(r, 1500));
    await lab.phone.reconnect();
    const info = await lab.world.core.context.jobs.wait(jobId);
    expect(info.error).toBeUndefined();
    expect(info.status).toBe('succeeded');
    const result = info.result as DroidDeployResult;
    expect(result.reconnected).toBe(true);
    const current = await lab.phone.runInApp(['readlink', '/nix/var/nix/profiles/nix-on-droid']);
    expect(current.output.trim()).toBe(`nix-on-droid-${result.after}-link`);
    expect(result.after).toBeGreaterThan(result.before ?? 0);
  });

  it('`fleet deploy droid:<name>` (a real CLI process) lands in the deploy history and in `fleet jobs --json` like a host deploy', async () => {
    const env = { ...process.env, HOME: lab.world.dir, FLEET_DATA_DIR: join(lab.world.dir, 'data'), ANDROID_ADB_SERVER_PORT: String(lab.world.adbPort) };
    const deployed = await fleet(['deploy', 'droid:soriphoono', '--serial', lab.phone.serial, '--identity', lab.world.key, '--flake', lab.world.checkout, '--json'], env);
    expect(deployed.code, deployed.stderr).toBe(0);
    const record = JSON.parse(deployed.stdout) as DeployRecord;
    expect(record).toMatchObject({ targets: ['droid:soriphoono'], status: 'succeeded', outcomes: [{ target: 'droid:soriphoono', status: 'succeeded' }] });
    const jobs = await fleet(['jobs', '--json', '--flake', lab.world.checkout], env);
    expect(jobs.code, jobs.stderr).toBe(0);
    const listed = (JSON.parse(jobs.stdout) as JobInfo[]).find((job) => job.id === record.jobId);
    expect(listed).toMatchObject({ kind: 'deploy', status: 'succeeded', targets: ['droid:soriphoono'] });
    // The app's core (another process) reads the same history.
    const history = (await lab.world.core.invoke('deploy.history', {})) as DeployRecord[];
    expect(history.find((r) => r.id === record.id)?.status).toBe('succeeded');
    // "Since deployed" for a phone: the revision its last deploy recorded.
    const since = await lab.world.job('changes.sinceDeployed', { host: 'droid:soriphoono' });
    expect(since.result).toMatchObject({ state: 'ok', revisionSource: 'history', deployedRevision: await lab.world.git(['rev-parse', 'HEAD']), commits: [], files: [] });
  });

  it('a commit after the last deploy shows as out of date for the phone, with that commit and file', async () => {
    // Deploys built on this computer: droid-deploy-build-here.test.ts (also on current Nix).
    bumpTimeZone('Africa/Cairo');
    await lab.world.git(['commit', '-qam', 'droid: Cairo']);
    const since = (await lab.world.job('changes.sinceDeployed', { host: 'droid:soriphoono' })).result as SinceDeployedReport;
    expect(since.commits.map((c) => c.subject)).toEqual(['droid: Cairo']);
    expect(since.files.map((f) => f.path)).toEqual(['droids/soriphoono/default.nix']);
    expect(since.outOfDate).toBe(true);
  });
});
