import { describe, expect, it } from 'vitest';
import { createTrayView } from '../../../src-main/shell/tray';
import { initialTrayState, reduceTray, type TrayState } from '../../../src-main/shared/tray-model';
import type { JobInfo } from '../../../src-main/core/jobs/types';

function job(status: JobInfo['status'], id = 'j1'): JobInfo {
  return { id, kind: 'deploy', title: 'Deploy moonlight', targets: ['moonlight'], status, startedAt: 1000, finishedAt: 3000, logFile: '/x' };
}

/** Records what the view sets on a stand-in Tray (no Electron binary here). */
function fakeTray() {
  const calls: string[] = [];
  const menus: { id?: string; label?: string; type?: string }[][] = [];
  return {
    calls,
    menus,
    tray: {
      setImage: (img: unknown) => calls.push(`image:${String(img)}`),
      setToolTip: (t: string) => calls.push(`tooltip:${t}`),
      setContextMenu: () => calls.push('menu'),
    },
    buildMenu: (template: { id?: string; label?: string; type?: string }[]) => {
      menus.push(template);
      return template as never;
    },
  };
}

describe('the tray view renders state and is safe to call repeatedly', () => {
  const icons = { idle: 'idle', running: 'running', succeeded: 'succeeded', failed: 'failed' } as never;

  it('sets the icon, tooltip and menu only when they change', () => {
    const fake = fakeTray();
    const view = createTrayView({ tray: fake.tray as never, buildMenu: fake.buildMenu as never, icons, onMenuItem: () => undefined });
    view.render(initialTrayState, true);
    view.render(initialTrayState, true);
    expect(fake.calls).toEqual(['image:idle', 'tooltip:Homelab Fleet: idle', 'menu']);
    let state: TrayState = reduceTray(initialTrayState, { type: 'job.created', job: job('running') }).state;
    view.render(state, true);
    expect(fake.calls).toContain('image:running');
    state = reduceTray(state, { type: 'job.status', job: job('failed') }).state;
    view.render(state, false);
    expect(fake.calls).toContain('image:failed');
    const lastMenu = fake.menus.at(-1)!;
    expect(lastMenu.map((i) => i.label)).toEqual(expect.arrayContaining(['Show Homelab Fleet', 'Quit']));
  });

  it('always offers Show/Hide, since Linux ignores tray clicks', () => {
    const fake = fakeTray();
    const view = createTrayView({ tray: fake.tray as never, buildMenu: fake.buildMenu as never, icons, onMenuItem: () => undefined });
    view.render(initialTrayState, true);
    expect(fake.menus[0]![0]!.label).toBe('Hide Homelab Fleet');
  });
});
