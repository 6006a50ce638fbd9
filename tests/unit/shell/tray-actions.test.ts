import { describe, expect, it } from 'vitest';
import type { WireReply } from '../../../src-main/core/contract';
import { startTrayDeploy, trayAction } from '../../../src-main/shell/tray-actions';
import { initialTrayState } from '../../../src-main/shared/tray-model';

describe('tray menu items map to shell actions', () => {
  it('quit, show/hide and opening a job', () => {
    expect(trayAction('quit', initialTrayState)).toEqual({ kind: 'quit' });
    expect(trayAction('toggle-window', initialTrayState)).toEqual({ kind: 'toggle-window' });
    expect(trayAction('job:20261125-deploy-abc', initialTrayState)).toEqual({ kind: 'open-job', jobId: '20261125-deploy-abc' });
    expect(trayAction('job:', initialTrayState)).toEqual({ kind: 'none' });
    expect(trayAction('something-else', initialTrayState)).toEqual({ kind: 'none' });
  });

  it('"deploy all out-of-date" deploys exactly the hosts the menu was drawn for', () => {
    const state = { ...initialTrayState, outOfDate: ['moonlight', 'zephyrus'] };
    expect(trayAction('deploy-out-of-date', state)).toEqual({ kind: 'deploy', targets: ['moonlight', 'zephyrus'] });
    expect(trayAction('deploy-out-of-date', initialTrayState)).toEqual({ kind: 'none' });
  });

  it('"Reboot needed: <host>" opens that host, only for hosts the menu was drawn with', () => {
    const state = { ...initialTrayState, needsReboot: ['moonlight'] };
    expect(trayAction('host:moonlight', state)).toEqual({ kind: 'open-host', target: 'moonlight' });
    expect(trayAction('host:zephyrus', state)).toEqual({ kind: 'none' });
    expect(trayAction('host:moonlight', initialTrayState)).toEqual({ kind: 'none' });
  });
});

describe('"deploy all out-of-date" from the tray', () => {
  function ports(reply: () => Promise<WireReply<unknown>>) {
    const told: { title: string; body: string }[] = [];
    const opened: string[] = [];
    return { told, opened, ports: { invoke: () => reply(), openJob: (id: string) => opened.push(id), tell: (m: { title: string; body: string }) => told.push(m) } };
  }

  it('shows the job it started', async () => {
    const p = ports(async () => ({ ok: true, result: { jobId: 'j1' } }));
    await startTrayDeploy(['moonlight'], p.ports);
    expect(p.opened).toEqual(['j1']);
    expect(p.told).toEqual([]);
  });

  it('tells the person why when the deploy does not start', async () => {
    const p = ports(async () => ({ ok: false, error: { code: 'no-checkout', message: 'No homelab is open.', hint: 'Open a checkout first.' } }));
    await startTrayDeploy(['moonlight', 'zephyrus'], p.ports);
    expect(p.opened).toEqual([]);
    expect(p.told).toEqual([{ title: 'Deploy of 2 hosts did not start', body: 'No homelab is open.\nOpen a checkout first.' }]);
  });

  it('tells the person when the core does not answer at all', async () => {
    const p = ports(() => Promise.reject(new Error('The core process exited.')));
    await startTrayDeploy(['moonlight'], p.ports);
    expect(p.told).toEqual([{ title: 'Deploy of moonlight did not start', body: 'The core process exited.' }]);
  });
});
