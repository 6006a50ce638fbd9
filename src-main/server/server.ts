import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FleetCore } from '../core/core';
import { contentSecurityPolicy } from '../core/app/csp';
import { checkAccess, sessionCookie } from './auth';
import { resolveStatic } from './static-files';
import { wsRequestSchema } from './bridge-protocol';

export interface ServeOptions {
  /** Folder of the built renderer (out/renderer). */
  readonly rendererDir: string;
  /** 0 or undefined: a random free port. */
  readonly port?: number;
  /** Fixed token (tests); random otherwise. */
  readonly token?: string;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const securityHeaders = {
  'Content-Security-Policy': contentSecurityPolicy,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * `fleet serve`: the renderer over HTTP and the core over a WebSocket, on 127.0.0.1 only.
 * Like Jupyter, a random token in the printed URL is exchanged for a session cookie;
 * requests without it get 401, requests from another Origin or Host get 403.
 */
export async function serve(core: FleetCore, options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  let port = options.port ?? 0;
  const sockets = new Set<WebSocket>();

  const server = http.createServer((req, res) => {
    const access = checkAccess(req, token, port);
    if (!access.allow) {
      res.writeHead(access.status, { 'Content-Type': 'text/plain; charset=utf-8', ...securityHeaders });
      res.end(`${access.status === 401 ? 'Unauthorized' : 'Forbidden'}: ${access.reason}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', ...securityHeaders });
      res.end();
      return;
    }
    if (access.viaQueryToken) {
      // Trade the token for a cookie and drop it from the address bar and history.
      const url = new URL(req.url ?? '/', 'http://x');
      url.searchParams.delete('token');
      res.writeHead(302, {
        'Set-Cookie': `${sessionCookie(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname + url.search,
        ...securityHeaders,
      });
      res.end();
      return;
    }
    const found = resolveStatic(options.rendererDir, req.url ?? '/');
    if (!found) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...securityHeaders });
      res.end('Not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': found.type, ...securityHeaders });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    fs.createReadStream(found.file).pipe(res);
  });

  // Browsers keep idle sockets for about a minute; a server closing them first races a new
  // request on the same socket and the page sees ERR_CONNECTION_RESET.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const access = checkAccess(req, token, port);
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (!access.allow || pathname !== '/ws') {
      const status = access.allow ? 404 : access.status;
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found'}\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => bindSocket(core, ws, sockets));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The WebSocket bridge: requests validated at the edge, replies as data, events pushed. */
function bindSocket(core: FleetCore, ws: WebSocket, sockets: Set<WebSocket>): void {
  sockets.add(ws);
  const unsubscribe = core.subscribe((event) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event }));
  });
  ws.on('message', (data) => {
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      ws.send(JSON.stringify({ id: null, reply: { ok: false, error: { code: 'invalid-input', message: 'Message is not JSON.' } } }));
      return;
    }
    const parsed = wsRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
      ws.send(JSON.stringify({ id: null, reply: { ok: false, error: { code: 'invalid-input', message: `Bad request: ${message}` } } }));
      return;
    }
    const { id, name, input } = parsed.data;
    void core.invokeWire(name, input).then((reply) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, reply }));
    });
  });
  ws.on('close', () => {
    unsubscribe();
    sockets.delete(ws);
  });
  ws.on('error', () => ws.terminate());
}
