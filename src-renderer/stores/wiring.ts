import { client } from '../client';
import { useAppStore } from './app';

/**
 * Subscribe the stores to the core's events, once, at start-up (never in components).
 * Returns the unsubscribe function.
 */
export function wireStores(): () => void {
  return client().subscribe((event) => {
    switch (event.type) {
      case 'checkout.changed':
        useAppStore.getState().setCheckout(event.checkout);
        return;
      case 'bridge.status':
        useAppStore.getState().setConnected(event.connected);
        return;
      default:
        return;
    }
  });
}
