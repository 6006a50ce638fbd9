import { outOfDateTargets, type TrayState } from './tray-model';

/** What a click on a tray menu item asks the shell to do. */
export type TrayAction =
  | { readonly kind: 'quit' }
  | { readonly kind: 'toggle-window' }
  | { readonly kind: 'open-job'; readonly jobId: string }
  | { readonly kind: 'deploy'; readonly targets: readonly string[] }
  | { readonly kind: 'none' };

/** Map a tray menu item to an action, from the state the menu was drawn from. Pure. */
export function trayAction(id: string, state: TrayState): TrayAction {
  if (id === 'quit') return { kind: 'quit' };
  if (id === 'toggle-window') return { kind: 'toggle-window' };
  if (id.startsWith('job:') && id.length > 4) return { kind: 'open-job', jobId: id.slice(4) };
  if (id === 'deploy-out-of-date') {
    const targets = outOfDateTargets(state);
    return targets.length > 0 ? { kind: 'deploy', targets } : { kind: 'none' };
  }
  return { kind: 'none' };
}
