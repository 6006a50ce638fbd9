import { describe, expect, it } from 'vitest';
import { trayAction } from '../../../src-main/shell/tray-actions';
import { initialTrayState } from '../../../src-main/shell/tray-model';

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
});
