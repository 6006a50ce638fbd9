import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../../src-main/core/events';
import type { JobInfo } from '../../../src-main/core/jobs/types';
import type { TargetOutcome } from '../../../src-main/core/deploy/types';
import { deploySummary, initialTrayState, reduceTray, trayMenu, type NotificationSpec, type TrayState } from '../../../src-main/shared/tray-model';

function job(id: string, status: JobInfo['status'], kind = 'deploy'): JobInfo {
  return { id, kind, title: `Deploy ${id}`, targets: ['moonlight'], status, startedAt: 1000, ...(status !== 'running' ? { finishedAt: 4000 } : {}), logFile: '/x' };
}
function outcome(target: string, status: TargetOutcome['status'], message?: string): TargetOutcome {
  return { target, host: target, status, ...(message ? { message } : {}), stages: [] };
}
/** Feed a sequence of events; collect every notification. */
function run(events: FleetEvent[], from: TrayState = initialTrayState): { state: TrayState; notifications: NotificationSpec[] } {
  let state = from;
  const notifications: NotificationSpec[] = [];
  for (const event of events) {
    const next = reduceTray(state, event);
    state = next.state;
    notifications.push(...next.notifications);
  }
  return { state, notifications };
}

describe('tray and notifications are a pure function of the events', () => {
  it('idle -> running -> succeeded, with one notification naming what was deployed', () => {
    const { state, notifications } = run([
      { type: 'job.created', job: job('d1', 'running') },
      { type: 'deploy.started', deployId: 'x', jobId: 'd1', targets: ['moonlight', 'zephyrus'] },
    ]);
    expect(state.status).toBe('running');
    expect(notifications).toEqual([]);
    const end = run(
      [
        { type: 'deploy.finished', deployId: 'x', jobId: 'd1', status: 'succeeded', outcomes: [outcome('moonlight', 'succeeded'), outcome('zephyrus', 'succeeded')] },
        { type: 'job.status', job: job('d1', 'succeeded') },
      ],
      state,
    );
    expect(end.state.status).toBe('succeeded');
    expect(end.notifications).toEqual([{ title: 'Deploy finished', body: '2 deployed', jobId: 'd1', urgent: false }]);
  });

  it('a rollback is a failure: red icon, urgent notification saying which generation', () => {
    const { state, notifications } = run([
      { type: 'job.created', job: job('d2', 'running') },
      {
        type: 'deploy.finished',
        deployId: 'y',
        jobId: 'd2',
        status: 'failed',
        outcomes: [outcome('moonlight', 'rolled-back', 'rolled back to generation 4'), outcome('zephyrus', 'succeeded')],
      },
      { type: 'job.status', job: job('d2', 'failed') },
    ]);
    expect(state.status).toBe('failed');
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({ title: 'Deploy failed', urgent: true, jobId: 'd2' });
    expect(notifications[0]!.body).toBe('1 deployed; moonlight rolled back to generation 4');
    expect(trayMenu(state, true).find((i) => i.id === 'job:d2')!.label).toMatch(/failed \(1 deployed; moonlight rolled back/);
  });

  it('stays running while any job runs, and a cancelled deploy does not notify', () => {
    const { state, notifications } = run([
      { type: 'job.created', job: job('a', 'running') },
      { type: 'job.created', job: job('b', 'running', 'build') },
      { type: 'deploy.finished', deployId: 'z', jobId: 'a', status: 'cancelled', outcomes: [outcome('moonlight', 'cancelled')] },
      { type: 'job.status', job: job('a', 'cancelled') },
    ]);
    expect(state.status).toBe('running');
    expect(notifications).toEqual([]);
    const done = run([{ type: 'job.status', job: job('b', 'succeeded', 'build') }], state);
    expect(done.state.status).toBe('succeeded');
    expect(done.notifications).toHaveLength(1);
  });

  it('offers "Deploy all out-of-date" from the last status check, disabled while a deploy runs', () => {
    const hosts = [
      { target: 'moonlight', host: 'moonlight', online: true, outOfDate: true, checkedAt: 1 },
      { target: 'zephyrus', host: 'zephyrus', online: true, outOfDate: false, checkedAt: 1 },
      { target: 'docker-node', host: 'docker-node', online: false, checkedAt: 1 },
    ];
    let { state } = run([{ type: 'deploy.hosts', hosts }]);
    expect(state.outOfDate).toEqual(['moonlight']);
    let item = trayMenu(state, false).find((i) => i.id === 'deploy-out-of-date')!;
    expect(item).toEqual({ id: 'deploy-out-of-date', label: 'Deploy all out-of-date (1)', enabled: true });
    state = run([{ type: 'job.created', job: job('d3', 'running') }], state).state;
    expect(trayMenu(state, false).find((i) => i.id === 'deploy-out-of-date')!.enabled).toBe(false);
    state = run([{ type: 'deploy.finished', deployId: 'q', jobId: 'd3', status: 'succeeded', outcomes: [outcome('moonlight', 'succeeded')] }, { type: 'job.status', job: job('d3', 'succeeded') }], state).state;
    item = trayMenu(state, false).find((i) => i.id === 'deploy-out-of-date')!;
    expect(item).toMatchObject({ label: 'Deploy all out-of-date (none)', enabled: false });
  });

  it('the menu always has show/hide first and quit last, recent deploys in between', () => {
    const { state } = run([{ type: 'job.created', job: job('r', 'running') }, { type: 'job.status', job: job('r', 'interrupted') }]);
    const menu = trayMenu(state, true);
    expect(menu[0]!.label).toBe('Hide Homelab Fleet');
    expect(menu.at(-1)!.id).toBe('quit');
    expect(menu.map((i) => i.id)).toContain('job:r');
    expect(state.status).toBe('failed');
  });

  it('the summary tells deployed hosts from hosts that were already up to date', () => {
    const upToDate: TargetOutcome = { ...outcome('zephyrus', 'succeeded', 'already up to date (generation 1)'), upToDate: true };
    expect(deploySummary([outcome('moonlight', 'succeeded'), upToDate])).toBe('1 deployed; 1 already up to date');
    expect(deploySummary([upToDate])).toBe('1 already up to date');
  });
});

describe('tray: hosts that need a reboot', () => {
  it('lists them from the last status check, one item per host that opens it', () => {
    const host = (target: string, needsReboot: boolean, online = true) => ({ target, host: target, online, needsReboot, checkedAt: 1 });
    const { state } = run([{ type: 'deploy.hosts', hosts: [host('moonlight', true), host('zephyrus', false), host('docker-node', true, false)] }]);
    expect(state.needsReboot).toEqual(['moonlight']);
    expect(trayMenu(state, true)).toContainEqual({ id: 'host:moonlight', label: 'Reboot needed: moonlight', enabled: true });
    const after = run([{ type: 'deploy.hosts', hosts: [host('moonlight', false)] }], state);
    expect(trayMenu(after.state, true).map((i) => i.id)).not.toContain('host:moonlight');
  });

  it('names at most five hosts and counts the rest', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const { state } = run([{ type: 'deploy.hosts', hosts: names.map((target) => ({ target, host: target, online: true, needsReboot: true, checkedAt: 1 })) }]);
    const items = trayMenu(state, true).filter((i) => i.label.startsWith('Reboot needed'));
    expect(items.map((i) => i.id)).toEqual(['host:a', 'host:b', 'host:c', 'host:d', 'host:e', 'reboot-needed-more']);
    expect(items.at(-1)).toEqual({ id: 'reboot-needed-more', label: 'Reboot needed: 2 more hosts', enabled: false });
  });
});

describe('tray: a reboot', () => {
  it('announces a reboot as one, and a host back on its boot default no longer needs a reboot', () => {
    const host = (target: string) => ({ target, host: target, online: true, needsReboot: true, checkedAt: 1 });
    const { state } = run([{ type: 'deploy.hosts', hosts: [host('moonlight'), host('zephyrus')] }]);
    const back = { target: 'moonlight', host: 'moonlight', status: 'succeeded' as const, stages: [], reboot: { requestedAt: 1, lastSeenAt: 1, backAt: 2, result: 'came-back' as const } };
    const lost = { target: 'zephyrus', host: 'zephyrus', status: 'failed' as const, message: 'did not come back within 30 s', stages: [], reboot: { requestedAt: 1, lastSeenAt: 1, downAt: 2, result: 'not-back' as const } };
    const after = reduceTray(state, { type: 'deploy.finished', deployId: 'd', jobId: 'j', status: 'failed', outcomes: [back, lost], reboot: 'only' });
    expect(after.notifications[0]).toMatchObject({ title: 'Reboot failed', body: '1 rebooted; zephyrus failed (did not come back within 30 s)' });
    expect(after.state.needsReboot).toEqual(['zephyrus']);
  });
});
