import type { CommandInput, CommandName, CommandResult, FleetEvent, WireReply, FleetBridge } from '../src-main/core/api';
import { FleetError } from '../src-main/shared/fleet-error';

declare global {
  interface Window {
    fleet?: FleetBridge;
  }
}

type Listener = (event: FleetEvent) => void;

/** A call the browser made that has no answer yet. */
interface PendingCall {
  readonly name: string;
  readonly message: string;
  readonly resolve: (reply: WireReply<unknown>) => void;
  /** Sent on a socket: if that socket drops, the server may or may not have run it. */
  sent: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

function disconnected(message: string): WireReply<unknown> {
  return { ok: false, error: { code: 'disconnected', message, hint: 'Check that `fleet serve` is still running; the page reconnects by itself.' } };
}

/**
 * The browser's bridge: the same shape as window.fleet, over the WebSocket of `fleet
 * serve` (authenticated by the session cookie the server set). Reconnects with backoff.
 * No call hangs: a call made while disconnected is sent once the connection is back, or
 * fails after `queueTimeoutMs`; a call already sent when the connection drops fails at
 * once (it is not sent again: the server may have run it, and a deploy must not run twice).
 */
export function createWebSocketBridge(
  url = defaultSocketUrl(),
  options: { queueTimeoutMs?: number } = {},
): FleetBridge & { readonly connected: () => boolean; close(): void } {
  const queueTimeoutMs = options.queueTimeoutMs ?? 30_000;
  let socket: WebSocket | undefined;
  let nextId = 1;
  let open = false;
  let retry = 0;
  let closed = false;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  const pending = new Map<number, PendingCall>();
  const listeners = new Set<Listener>();

  const settle = (id: number, reply: WireReply<unknown>) => {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    clearTimeout(call.timer);
    call.resolve(reply);
  };
  const send = (call: PendingCall) => {
    clearTimeout(call.timer);
    call.sent = true;
    socket?.send(call.message);
  };

  const connect = () => {
    if (closed) return;
    socket = new WebSocket(url);
    // A failed connection is followed by close, which retries; the error itself says nothing more.
    socket.onerror = () => undefined;
    socket.onopen = () => {
      open = true;
      retry = 0;
      for (const call of pending.values()) if (!call.sent) send(call);
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
        settle(data.id, data.reply);
      }
    };
    socket.onclose = () => {
      const wasOpen = open;
      open = false;
      for (const [id, call] of pending) {
        if (call.sent) settle(id, disconnected(`The connection to the server was lost before "${call.name}" answered; it may or may not have run.`));
      }
      if (wasOpen) for (const listener of listeners) listener({ type: 'bridge.status', connected: false });
      retry = Math.min(retry + 1, 6);
      if (!closed) reconnect = setTimeout(connect, 250 * 2 ** retry);
    };
  };
  connect();

  return {
    kind: 'browser',
    connected: () => open,
    close() {
      closed = true;
      clearTimeout(reconnect);
      socket?.close();
    },
    invoke(name, input) {
      const id = nextId++;
      const message = JSON.stringify({ id, name, input });
      return new Promise((resolve) => {
        const call: PendingCall = { name, message, resolve, sent: false };
        pending.set(id, call);
        if (open) send(call);
        else call.timer = setTimeout(() => settle(id, disconnected(`No connection to the server: "${name}" was not sent.`)), queueTimeoutMs);
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
