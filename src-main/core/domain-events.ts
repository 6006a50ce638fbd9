import type { CheckoutSummary, PromptRequest } from './app/contract';
import type { Inventory } from './homelab/types';
import type { DeployRecordStatus, HostStatus, TargetOutcome } from './deploy/types';
import type { AndroidDevice } from './android/types';

/**
 * Events of the domains (checkout, prompts, inventory, devices, deploy status...). Each
 * domain adds its events to this union; job events live in events.ts.
 */
export type DomainEvent =
  | { readonly type: 'checkout.changed'; readonly checkout: CheckoutSummary | null }
  | { readonly type: 'prompt.request'; readonly request: PromptRequest }
  | { readonly type: 'prompt.resolved'; readonly id: string }
  /** Emitted by the browser's WebSocket bridge itself when it connects or loses the server. */
  | { readonly type: 'bridge.status'; readonly connected: boolean }
  /** Emitted by the desktop shell when a notification or tray item asks to show a job. */
  | { readonly type: 'ui.open-job'; readonly jobId: string }
  /** Emitted by the desktop shell when a tray item asks to show a host (e.g. "Reboot needed: moonlight"). */
  | { readonly type: 'ui.open-host'; readonly target: string }
  /** The inventory of the open checkout changed: a rescan (file watcher) or a finished flake evaluation. */
  | { readonly type: 'inventory.changed'; readonly inventory: Inventory }
  /** Watching the checkout failed (e.g. the inotify limit): live refresh stopped; the inventory carries a warning too. */
  | { readonly type: 'inventory.watch-failed'; readonly root: string; readonly message: string }
  /** A phone appeared, changed state (unauthorized, offline, device) or went away: the whole list. */
  | { readonly type: 'devices.changed'; readonly devices: readonly AndroidDevice[] }
  /** A deploy started (its job carries the live progress). */
  | { readonly type: 'deploy.started'; readonly deployId: string; readonly jobId: string; readonly targets: readonly string[] }
  /** A deploy ended: how each target ended (also in `deploy.history`). */
  | {
      readonly type: 'deploy.finished';
      readonly deployId: string;
      readonly jobId: string;
      readonly status: DeployRecordStatus;
      readonly outcomes: readonly TargetOutcome[];
      /** The hosts were rebooted: after the deploy, or a reboot alone (`fleet reboot`). */
      readonly reboot?: 'after-deploy' | 'only';
    }
  /** Fresh status of hosts (online, generation, revision, out of date), after a deploy or a status check. */
  | { readonly type: 'deploy.hosts'; readonly hosts: readonly HostStatus[] };
