import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import type { WireReply } from '../../../src-main/core/contract';
import { createWebSocketBridge } from '../../../src-renderer/client';

// The browser bridge against a real WebSocket server in this process (the `ws` package's
// client stands in for the browser's WebSocket, which Node 20 lacks).
beforeAll(() => {
  (globalThis as { WebSocket?: unknown }).WebSocket ??= NodeWebSocket;
});

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(port = 0): Promise<{ wss: WebSocketServer; url: string }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise((r) => wss.once('listening', r));
  cleanups.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise((r) => wss.close(r));
  });
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws` };
}

/** A loopback port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

function bridgeOn(url: string, options: { queueTimeoutMs?: number } = {}) {
  const bridge = createWebSocketBridge(url, options);
  cleanups.push(() => bridge.close());
  return bridge;
}

describe('browser calls when the WebSocket drops', () => {
  it('a call sent before the connection dropped fails with a clear error instead of hanging', async () => {
    const { wss, url } = await server();
    // The server takes the call and goes away without answering (fleet serve stopped).
    wss.on('connection', (ws) => ws.on('message', () => ws.terminate()));
    const bridge = bridgeOn(url);
    const reply = (await bridge.invoke('deploy.start', { targets: ['moonlight'] })) as WireReply<unknown> & { ok: false };
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe('disconnected');
    expect(reply.error.message).toBe('The connection to the server was lost before "deploy.start" answered; it may or may not have run.');
  });

  it('a call made while disconnected is sent once the server is back, and answered', async () => {
    const port = await freePort();
    const bridge = bridgeOn(`ws://127.0.0.1:${port}/ws`, { queueTimeoutMs: 60_000 });
    const answered = bridge.invoke('inventory.get', {});
    expect(bridge.connected()).toBe(false);
    const { wss } = await server(port);
    wss.on('connection', (ws) =>
      ws.on('message', (data) => {
        const { id } = JSON.parse(String(data)) as { id: number };
        ws.send(JSON.stringify({ id, reply: { ok: true, result: 'inventory' } }));
      }),
    );
    expect(await answered).toEqual({ ok: true, result: 'inventory' });
  });

  it('a call made while the server stays away fails after the queue timeout', async () => {
    const bridge = bridgeOn(`ws://127.0.0.1:${await freePort()}/ws`, { queueTimeoutMs: 200 });
    const reply = (await bridge.invoke('inventory.get', {})) as WireReply<unknown> & { ok: false };
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe('disconnected');
    expect(reply.error.message).toBe('No connection to the server: "inventory.get" was not sent.');
  });
});
