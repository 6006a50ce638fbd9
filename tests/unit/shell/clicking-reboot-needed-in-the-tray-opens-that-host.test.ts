import { describe, expect, it } from 'vitest';
import { channels } from '../../../src-main/shell/ipc';
import { createTrayView } from '../../../src-main/shell/tray';
import { trayClickHandler, type TrayShell, type TrayWindow } from '../../../src-main/shell/tray-actions';
import { initialTrayState, reduceTray, type TrayState } from '../../../src-main/shared/tray-model';

// EMULATION: no Electron binary can run on these machines (DESIGN.md), so Electron's Tray,
// Menu, app and BrowserWindow are stand-ins that record what the shell asks of them. What is
// real: the shell's own code from the status event to the renderer message — the tray model,
// the view that builds the menu template (with its click callbacks), and the click handler
// main.ts installs (trayClickHandler). Not covered: Electron calling `click` on a real menu,
// and a real window's load events.

interface MenuItem {
  readonly id?: string;
  readonly label?: string;
  readonly type?: string;
  readonly click?: () => void;
}

/** A stand-in main window: records show/hide/focus and what is sent to its page. */
function standInWindow(options: { visible?: boolean; loading?: boolean } = {}) {
  const calls: string[] = [];
  const sent: { channel: string; event: unknown }[] = [];
  const loaded: (() => void)[] = [];
  let visible = options.visible ?? false;
  let loading = options.loading ?? false;
  const window: TrayWindow & { show(): void; focus(): void } = {
    isVisible: () => visible,
    hide: () => {
      visible = false;
      calls.push('hide');
    },
    show: () => {
      visible = true;
      calls.push('show');
    },
    focus: () => calls.push('focus'),
    webContents: {
      send: (channel: string, event: unknown) => void sent.push({ channel, event }),
      isLoading: () => loading,
      once: (_event: 'did-finish-load', listener: () => void) => loaded.push(listener),
    },
  };
  return {
    window,
    calls,
    sent,
    /** The page finished loading (Electron's did-finish-load). */
    finishLoading: () => {
      loading = false;
      for (const listener of loaded.splice(0)) listener();
    },
  };
}

/** The shell as main.ts wires it, with a stand-in app and window (null until made when closed). */
function standInShell(open: ReturnType<typeof standInWindow> | null, made: ReturnType<typeof standInWindow> = standInWindow({ loading: true })) {
  let current = open;
  const quit: string[] = [];
  const deployed: (readonly string[])[] = [];
  const shell: TrayShell = {
    app: { quit: () => void quit.push('quit') },
    window: () => current?.window ?? null,
    showWindow: () => {
      current ??= made;
      current.window.show();
      current.window.focus();
      return current.window;
    },
    deploy: (targets) => void deployed.push(targets),
  };
  return { shell, quit, deployed, current: () => current };
}

/** The tray drawn from a status check where `needsReboot` hosts need a reboot, with a stand-in Tray and Menu. */
function drawnTray(needsReboot: readonly string[], shell: TrayShell) {
  const host = (target: string) => ({ target, host: target, online: true, needsReboot: needsReboot.includes(target), checkedAt: 1 });
  let state: TrayState = reduceTray(initialTrayState, { type: 'deploy.hosts', hosts: ['moonlight', 'zephyrus', 'lg-laptop'].map(host) }).state;
  const menus: MenuItem[][] = [];
  const view = createTrayView({
    tray: { setImage: () => undefined, setToolTip: () => undefined, setContextMenu: () => undefined } as never,
    buildMenu: ((template: MenuItem[]) => {
      menus.push(template);
      return template;
    }) as never,
    icons: { idle: 'idle', running: 'running', succeeded: 'succeeded', failed: 'failed' } as never,
    onMenuItem: trayClickHandler(() => state, shell),
  });
  view.render(state, false);
  return {
    /** The item of the last drawn menu with this label. */
    item: (label: string): MenuItem | undefined => menus.at(-1)!.find((i) => i.label === label),
    labels: () => menus.at(-1)!.map((i) => i.label ?? `(${i.type})`),
    setState: (next: TrayState) => {
      state = next;
      view.render(state, false);
    },
  };
}

describe('clicking "Reboot needed: <host>" in the tray (emulation: stand-in Electron Tray, Menu and BrowserWindow)', () => {
  it('emulation: with the window open, shows and focuses it and tells its page to open that host', () => {
    const open = standInWindow({ visible: false });
    const { shell } = standInShell(open);
    const tray = drawnTray(['moonlight'], shell);
    expect(tray.labels()).toContain('Reboot needed: moonlight');
    expect(tray.labels()).not.toContain('Reboot needed: zephyrus');
    tray.item('Reboot needed: moonlight')!.click!();
    expect(open.calls).toEqual(['show', 'focus']);
    expect(open.sent).toEqual([{ channel: channels.event, event: { type: 'ui.open-host', target: 'moonlight' } }]);
  });

  it('emulation: with the window closed, makes it and sends "open that host" only once its page has loaded', () => {
    const made = standInWindow({ loading: true });
    const { shell, current } = standInShell(null, made);
    const tray = drawnTray(['zephyrus'], shell);
    tray.item('Reboot needed: zephyrus')!.click!();
    expect(current()).toBe(made);
    expect(made.calls).toEqual(['show', 'focus']);
    // Nothing in a loading page listens yet: a message now would be lost.
    expect(made.sent).toEqual([]);
    made.finishLoading();
    expect(made.sent).toEqual([{ channel: channels.event, event: { type: 'ui.open-host', target: 'zephyrus' } }]);
  });

  it('emulation: a click on an item from a menu drawn before the host stopped needing a reboot does nothing', () => {
    const open = standInWindow({ visible: true });
    const { shell, quit, deployed } = standInShell(open);
    const tray = drawnTray(['moonlight'], shell);
    const stale = tray.item('Reboot needed: moonlight')!;
    // A new status check: moonlight was rebooted meanwhile (the menu is redrawn without it).
    tray.setState({ ...initialTrayState, needsReboot: [] });
    expect(tray.labels()).not.toContain('Reboot needed: moonlight');
    stale.click!();
    expect(open.calls).toEqual([]);
    expect(open.sent).toEqual([]);
    expect(quit).toEqual([]);
    expect(deployed).toEqual([]);
  });

  it('emulation: the other items go through the same handler: Show/Hide toggles the window, Quit quits the app', () => {
    const open = standInWindow({ visible: false });
    const { shell, quit } = standInShell(open);
    const tray = drawnTray([], shell);
    tray.item('Show Homelab Fleet')!.click!();
    expect(open.calls).toEqual(['show', 'focus']);
    tray.setState({ ...initialTrayState });
    // The view draws from the visibility it is given; the handler reads the window itself.
    tray.item('Show Homelab Fleet')!.click!();
    expect(open.calls).toEqual(['show', 'focus', 'hide']);
    tray.item('Quit')!.click!();
    expect(quit).toEqual(['quit']);
  });
});
