import { create } from 'zustand';
import type { AppInfo, CheckoutSummary, Settings } from '../../src-main/core/api';
import { client } from '../client';

export type Route = 'systems' | 'homes' | 'droids' | 'changes' | 'builds' | 'deploys' | 'settings' | 'open';

export const routes: readonly Route[] = ['systems', 'homes', 'droids', 'changes', 'builds', 'deploys', 'settings', 'open'];

function routeFromHash(): Route {
  const name = location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return (routes as readonly string[]).includes(name) ? (name as Route) : 'systems';
}

interface AppState {
  readonly route: Route;
  readonly info: AppInfo | null;
  readonly settings: Settings | null;
  readonly checkout: CheckoutSummary | null;
  /** The checkout could not be opened (shown on the Open screen). */
  readonly openError: { readonly message: string; readonly hint?: string } | null;
  readonly opening: boolean;
  readonly ready: boolean;
  /** Browser only: whether the WebSocket to `fleet serve` is up. */
  readonly connected: boolean;
  /** Go to a place, optionally to one item of it (e.g. a job id): `#/<route>/<detail>`. */
  navigate(route: Route, detail?: string): void;
  init(): Promise<void>;
  openCheckout(path: string): Promise<boolean>;
  refreshCheckout(): Promise<void>;
  forgetCheckout(path: string): Promise<void>;
  updateSettings(change: Parameters<typeof updateSettingsInput>[0]): Promise<void>;
  /** Desktop only: the WebSocket bridge refuses it (a page must not choose programs the app runs). */
  setEditor(editor: readonly string[] | null): Promise<void>;
  setCheckout(checkout: CheckoutSummary | null): void;
  setConnected(connected: boolean): void;
}

function updateSettingsInput(input: { theme?: Settings['theme']; buildConcurrency?: number }) {
  return input;
}

/** App-wide state: where the user is, the open checkout, settings. */
export const useAppStore = create<AppState>((set, get) => ({
  route: routeFromHash(),
  info: null,
  settings: null,
  checkout: null,
  openError: null,
  opening: false,
  ready: false,
  connected: true,
  navigate(route, detail) {
    const hash = detail ? `#/${route}/${encodeURIComponent(detail)}` : `#/${route}`;
    const changed = location.hash !== hash;
    if (changed) history.pushState(null, '', hash);
    set({ route });
    // Screens that show one item (a job, a deploy) follow the hash.
    if (changed) window.dispatchEvent(new HashChangeEvent('hashchange'));
  },
  async init() {
    const c = client();
    const [info, settings, checkout] = await Promise.all([
      c.invoke('app.info', {}),
      c.invoke('settings.get', {}),
      c.invoke('checkout.current', {}),
    ]);
    set({ info, settings, checkout });
    if (!checkout) {
      // First run (or the last checkout vanished): open the example homelab if it ships.
      const first = settings.recent.length === 0 && info.exampleHomelab;
      if (first && (await get().openCheckout(info.exampleHomelab!))) {
        set({ ready: true });
        return;
      }
      set({ route: 'open' });
    }
    set({ ready: true });
  },
  async openCheckout(path) {
    set({ opening: true, openError: null });
    try {
      const checkout = await client().invoke('checkout.open', { path });
      const settings = await client().invoke('settings.get', {});
      set({ checkout, settings, opening: false });
      if (get().route === 'open') get().navigate('systems');
      return true;
    } catch (error) {
      const e = error as Error & { hint?: string };
      set({ opening: false, openError: { message: e.message, ...(e.hint ? { hint: e.hint } : {}) } });
      return false;
    }
  },
  async refreshCheckout() {
    set({ checkout: await client().invoke('checkout.current', {}) });
  },
  async forgetCheckout(path) {
    set({ settings: await client().invoke('checkout.forget', { path }) });
  },
  async updateSettings(change) {
    set({ settings: await client().invoke('settings.update', change) });
  },
  async setEditor(editor) {
    set({ settings: await client().invoke('settings.setEditor', { editor: editor ? [...editor] : null }) });
  },
  setCheckout(checkout) {
    set({ checkout });
  },
  setConnected(connected) {
    set({ connected });
  },
}));

// Back/forward, and any code or link that changes the hash, move the app too.
window.addEventListener('popstate', () => useAppStore.setState({ route: routeFromHash() }));
window.addEventListener('hashchange', () => useAppStore.setState({ route: routeFromHash() }));
