import type { WireReply } from './contract';
import type { FleetEvent } from './events';

/**
 * The only thing the Electron preload exposes to the page, as `window.fleet`: invoke a
 * command (the reply is data: result or error) and subscribe to events (returns the
 * unsubscribe function). The WebSocket client in the browser offers the same shape.
 */
export interface FleetBridge {
  invoke(name: string, input: unknown): Promise<WireReply<unknown>>;
  subscribe(listener: (event: FleetEvent) => void): () => void;
  /** 'desktop' in Electron; the browser client says 'browser'. */
  readonly kind: 'desktop' | 'browser';
  /** Desktop only: native folder picker. */
  pickFolder?(): Promise<string | null>;
  /** Desktop only: open an allow-listed external link in the system browser. */
  openExternal?(url: string): Promise<boolean>;
}
