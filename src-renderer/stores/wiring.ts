import { client } from '../client';
import { useAppStore } from './app';
import { usePromptsStore } from './prompts';
import { wireDeployStore } from './deploy';
import { wireJobsStore } from './jobs';

/**
 * Subscribe the stores to the core's events, once, at start-up (never in components).
 * Returns the unsubscribe function.
 */
export function wireStores(): () => void {
  // Jobs and deploys follow events wherever the user is, so notifications come from any screen.
  const offJobs = wireJobsStore();
  const offDeploys = wireDeployStore();
  const offApp = client().subscribe((event) => {
    switch (event.type) {
      case 'checkout.changed':
        useAppStore.getState().setCheckout(event.checkout);
        return;
      case 'bridge.status':
        useAppStore.getState().setConnected(event.connected);
        if (event.connected) void usePromptsStore.getState().load();
        return;
      case 'ui.open-job':
        // A notification or tray item was clicked: show that job (the Deploys screen reads the id from the hash).
        useAppStore.getState().navigate('deploys', event.jobId);
        return;
      case 'ui.open-host':
        // "Reboot needed: <host>" in the tray: the host's detail pane (the Systems list follows the hash).
        useAppStore.getState().navigate('systems', event.target);
        return;
      case 'prompt.request':
        usePromptsStore.getState().add(event.request);
        return;
      case 'prompt.resolved':
        usePromptsStore.getState().remove(event.id);
        return;
      default:
        return;
    }
  });
  return () => {
    offApp();
    offDeploys();
    offJobs();
  };
}
