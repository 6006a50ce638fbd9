import type { JobStarted, WireReply } from '../core/contract';
import { outOfDateTargets, type TrayState } from '../shared/tray-model';

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
