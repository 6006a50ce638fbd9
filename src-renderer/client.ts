import type { CommandInput, CommandName, CommandResult, FleetEvent, WireReply } from '../src-main/core/api';
import { FleetError } from '../src-main/core/contract';
import type { FleetBridge } from '../src-main/core/bridge';

declare global {
  interface Window {
    fleet?: FleetBridge;
  }
}

type Listener = (event: FleetEvent) => void;

/**
 * The browser's bridge: the same shape as window.fleet, over the WebSocket of `fleet
 * serve` (authenticated by the session cookie the server set). Reconnects with backoff;
 * calls made while disconnected wait for the connection.
 */
export function createWebSocketBridge(url = defaultSocketUrl()): FleetBridge & { readonly connected: () => boolean } {
  let socket: WebSocket | undefined;
  let nextId = 1;
  let open = false;
  let retry = 0;
  const waiting = new Map<number, (reply: WireReply<unknown>) => void>();
  const queue: string[] = [];
  const listeners = new Set<Listener>();

  const connect = () => {
    socket = new WebSocket(url);
    socket.onopen = () => {
      open = true;
      retry = 0;
      for (const message of queue.splice(0)) socket?.send(message);
      for (const listener of listeners) listener({ type: 'bridge.status', connected: true });
    };
    socket.onmessage = (message) => {
      let data: { id?: number | null; reply?: WireReply<unknown>; event?: FleetEvent };
      try {
        data = JSON.parse(String(message.data)) as typeof data;
      } catch {
        return;
      }
      if (data.event) {
        for (const listener of listeners) listener(data.event);
      } else if (typeof data.id === 'number' && data.reply) {
        waiting.get(data.id)?.(data.reply);
        waiting.delete(data.id);
      }
    };
    socket.onclose = () => {
      const wasOpen = open;
      open = false;
      if (wasOpen) for (const listener of listeners) listener({ type: 'bridge.status', connected: false });
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 250 * 2 ** retry);
    };
  };
  connect();

  return {
    kind: 'browser',
    connected: () => open,
    invoke(name, input) {
      const id = nextId++;
      const message = JSON.stringify({ id, name, input });
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        if (open) socket?.send(message);
        else queue.push(message);
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

function defaultSocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** The typed client the whole UI uses, over whichever bridge this page has. */
export interface FleetClient {
  invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<CommandResult<N>>;
  subscribe(listener: Listener): () => void;
  readonly bridge: FleetBridge;
}

export function createClient(bridge: FleetBridge): FleetClient {
  return {
    bridge,
    async invoke(name, input) {
      const reply = await bridge.invoke(name, input);
      if (!reply.ok) throw FleetError.fromWire(reply.error);
      return reply.result as never;
    },
    subscribe: (listener) => bridge.subscribe(listener),
  };
}

let current: FleetClient | undefined;

/** The app's client: window.fleet in Electron, the WebSocket in a browser. */
export function client(): FleetClient {
  current ??= createClient(window.fleet ?? createWebSocketBridge());
  return current;
}

/** For tests: use a given bridge. */
export function setClientForTests(bridge: FleetBridge): void {
  current = createClient(bridge);
}
