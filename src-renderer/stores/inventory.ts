import { create, type StoreApi, type UseBoundStore } from 'zustand';
import type { Inventory, CommandInput, FleetEvent, AddAnswer } from '../../src-main/core/api';
import { client, type FleetClient } from '../client';

/** What the inventory store needs from the core: commands and the event stream. */
export type InventoryClient = Pick<FleetClient, 'invoke' | 'subscribe'>;

export interface InventoryState {
  readonly inventory: Inventory | null;
  readonly loading: boolean;
  readonly error: string | null;
  /** Fetch the inventory (the scan comes at once; the flake evaluation arrives as an event). */
  load(options?: { rescan?: boolean }): Promise<void>;
  /** Ask nix again for the flake's configurations. */
  evaluate(): Promise<void>;
  /** Add a system, home or droid from the checkout's templates; the answer's inventory is shown at once. */
  add(input: CommandInput<'inventory.add'>): Promise<AddAnswer>;
  /** Apply a core event (inventory.changed, checkout.changed, bridge.status). */
  apply(event: FleetEvent): void;
}

/** Keep the newer of two inventories: a reply can arrive after the event that superseded it. */
function newer(current: Inventory | null, next: Inventory): Inventory {
  if (!current || current.root !== next.root) return next;
  return next.revision >= current.revision ? next : current;
}

/**
 * Create an inventory store bound to a client. Events are subscribed once, on the first
 * load, and stay subscribed for the life of the page (the store is a singleton).
 */
export function createInventoryStore(source: () => InventoryClient): UseBoundStore<StoreApi<InventoryState>> {
  let unsubscribe: (() => void) | undefined;
  const store = create<InventoryState>()((set, get) => ({
    inventory: null,
    loading: false,
    error: null,
    async load(options) {
      const api = source();
      unsubscribe ??= api.subscribe((event) => get().apply(event));
      set({ loading: true, error: null });
      try {
        const inventory = await api.invoke('inventory.get', options?.rescan ? { rescan: true } : {});
        set((s) => ({ inventory: newer(s.inventory, inventory), loading: false, error: null }));
      } catch (error) {
        set({ loading: false, error: (error as Error).message });
      }
    },
    async evaluate() {
      try {
        const inventory = await source().invoke('inventory.evaluate', {});
        set((s) => ({ inventory: newer(s.inventory, inventory), error: null }));
      } catch (error) {
        set({ error: (error as Error).message });
      }
    },
    async add(input) {
      const answer = await source().invoke('inventory.add', input);
      set((s) => ({ inventory: newer(s.inventory, answer.inventory), error: null }));
      return answer;
    },
    apply(event) {
      if (event.type === 'inventory.changed') {
        set((s) => ({ inventory: newer(s.inventory, event.inventory), loading: false, error: null }));
      } else if (event.type === 'bridge.status') {
        // Events sent while the WebSocket was down are lost: ask again once it is back.
        if (event.connected && get().inventory) void get().load();
      } else if (event.type === 'checkout.changed') {
        // Another checkout (or none) is open: what we show belongs to the old one.
        set({ inventory: null });
        if (event.checkout) void get().load();
      }
    },
  }));
  return store;
}

/** The app's inventory store: systems, homes, droids of the open checkout. */
export const useInventoryStore = createInventoryStore(() => client());
