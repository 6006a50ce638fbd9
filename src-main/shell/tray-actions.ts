import type { App, BrowserWindow, WebContents } from 'electron';
import { assertNever, type JobStarted, type WireReply } from '../core/contract';
import type { DomainEvent } from '../core/domain-events';
import { outOfDateTargets, type TrayState } from '../shared/tray-model';
import { channels } from './ipc';

/** What a click on a tray menu item asks the shell to do. */
export type TrayAction =
  | { readonly kind: 'quit' }
  | { readonly kind: 'toggle-window' }
  | { readonly kind: 'open-job'; readonly jobId: string }
  /** Show a host (a "Reboot needed: <host>" item): its detail pane, where Reboot is. */
  | { readonly kind: 'open-host'; readonly target: string }
  | { readonly kind: 'deploy'; readonly targets: readonly string[] }
  | { readonly kind: 'none' };

/** Map a tray menu item to an action, from the state the menu was drawn from. Pure. */
export function trayAction(id: string, state: TrayState): TrayAction {
  if (id === 'quit') return { kind: 'quit' };
  if (id === 'toggle-window') return { kind: 'toggle-window' };
  if (id.startsWith('job:') && id.length > 4) return { kind: 'open-job', jobId: id.slice(4) };
  // Only hosts the menu was drawn with: an id is never taken as a name on its own word.
  if (id.startsWith('host:') && (state.needsReboot ?? []).includes(id.slice(5))) return { kind: 'open-host', target: id.slice(5) };
  if (id === 'deploy-out-of-date') {
    const targets = outOfDateTargets(state);
    return targets.length > 0 ? { kind: 'deploy', targets } : { kind: 'none' };
  }
  return { kind: 'none' };
}

/** What a tray deploy needs from the shell: the core, a way to show a job, a way to tell the person. */
export interface TrayDeployPorts {
  invoke(name: 'deploy.start', input: { targets: readonly string[] }): Promise<WireReply<unknown>>;
  openJob(jobId: string): void;
  /** A desktop notification, or a message box where notifications are not supported. */
  tell(message: { readonly title: string; readonly body: string }): void;
}

/**
 * Start the deploy the tray asked for and show its job; when it cannot start (no checkout
 * open, a host gone from the inventory, the core not answering) say why instead of nothing.
 */
export async function startTrayDeploy(targets: readonly string[], ports: TrayDeployPorts): Promise<void> {
  const what = targets.length === 1 ? targets[0]! : `${targets.length} hosts`;
  let reply: WireReply<unknown>;
  try {
    reply = await ports.invoke('deploy.start', { targets });
  } catch (error) {
    ports.tell({ title: `Deploy of ${what} did not start`, body: error instanceof Error ? error.message : String(error) });
    return;
  }
  if (reply.ok) {
    ports.openJob((reply.result as JobStarted).jobId);
    return;
  }
  ports.tell({ title: `Deploy of ${what} did not start`, body: reply.error.hint ? `${reply.error.message}\n${reply.error.hint}` : reply.error.message });
}

/** The main window as a tray click uses it (an Electron BrowserWindow). */
export type TrayWindow = Pick<BrowserWindow, 'isVisible' | 'hide'> & {
  readonly webContents: Pick<WebContents, 'send' | 'isLoading'> & { once(event: 'did-finish-load', listener: () => void): unknown };
};

/**
 * What a tray click may do in the desktop shell: Electron's app and main window, handed in
 * (the shell passes the real ones; tests pass stand-ins, as no Electron binary runs here).
 */
export interface TrayShell {
  readonly app: Pick<App, 'quit'>;
  /** The main window as it is now, or null when it is closed. */
  window(): TrayWindow | null;
  /** Show and focus the main window, making it first when it is closed. */
  showWindow(): TrayWindow;
  /** Start a deploy of these targets and show its job (startTrayDeploy with the shell's ports). */
  deploy(targets: readonly string[]): void;
}

/** What the shell asks the renderer to show (stores/wiring.ts navigates there). */
export type ShowEvent = Extract<DomainEvent, { readonly type: 'ui.open-job' | 'ui.open-host' }>;

/**
 * Bring the main window up on a job or a host. A window just made (it was closed) is still
 * loading and nothing in it listens yet: the event goes once its page has loaded.
 */
export function showInWindow(shell: Pick<TrayShell, 'showWindow'>, event: ShowEvent): void {
  const { webContents } = shell.showWindow();
  if (webContents.isLoading()) webContents.once('did-finish-load', () => webContents.send(channels.event, event));
  else webContents.send(channels.event, event);
}

/** Carry out what a tray item asked for, in the shell. */
export function runTrayAction(action: TrayAction, shell: TrayShell): void {
  switch (action.kind) {
    case 'quit':
      shell.app.quit();
      return;
    case 'toggle-window': {
      const window = shell.window();
      if (window?.isVisible()) window.hide();
      else shell.showWindow();
      return;
    }
    case 'open-job':
      return showInWindow(shell, { type: 'ui.open-job', jobId: action.jobId });
    case 'open-host':
      return showInWindow(shell, { type: 'ui.open-host', target: action.target });
    case 'deploy':
      return shell.deploy(action.targets);
    case 'none':
      return;
    default:
      return assertNever(action, 'tray action');
  }
}

/** The tray menu's click handler (main.ts installs it): the item, read against the tray state at the click (the menu is redrawn whenever it changes), carried out in the shell. */
export function trayClickHandler(state: () => TrayState, shell: TrayShell): (id: string) => void {
  return (id) => runTrayAction(trayAction(id, state()), shell);
}
