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
import { commands, isCommandName } from '../core/api';
import type { WireReply } from '../core/contract';

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
    // Total: whatever a request holds, it gets an answer and the server keeps serving.
    try {
      answerRequest(req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', ...securityHeaders });
      res.end();
    }
  });

  const answerRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const access = checkAccess(req, token, port);
    if (!access.allow) {
      res.writeHead(access.status, { 'Content-Type': 'text/plain; charset=utf-8', ...securityHeaders });
      res.end(`${statusText(access.status)}: ${access.reason}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', ...securityHeaders });
      res.end();
      return;
    }
    if (access.viaQueryToken) {
      // Trade the token for a cookie and drop it from the address bar and history.
      const url = access.target;
      url.searchParams.delete('token');
      res.writeHead(302, {
        'Set-Cookie': `${sessionCookie(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname + url.search,
        ...securityHeaders,
      });
      res.end();
      return;
    }
    const found = resolveStatic(options.rendererDir, access.target.pathname);
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
    fs.createReadStream(found.file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  // Requests Node's parser refuses (bad request lines, oversized headers) get a 400 here
  // instead of the default reset; nothing about them reaches a handler.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  // Browsers keep idle sockets for about a minute; a server closing them first races a new
  // request on the same socket and the page sees ERR_CONNECTION_RESET.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    try {
      const access = checkAccess(req, token, port);
      if (!access.allow || access.target.pathname !== '/ws') {
        const status = access.allow ? 404 : access.status;
        socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\nConnection: close\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => bindSocket(core, ws, sockets));
    } catch {
      socket.destroy();
    }
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

function statusText(status: number): string {
  return status === 400 ? 'Bad Request' : status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found';
}

/** Send a message, or nothing when the socket is gone or the value cannot be serialised: never a throw. */
function sendSafely(ws: WebSocket, message: unknown, fallback?: unknown): void {
  if (ws.readyState !== ws.OPEN) return;
  let text: string;
  try {
    text = JSON.stringify(message);
  } catch {
    if (fallback === undefined) return;
    text = JSON.stringify(fallback);
  }
  ws.send(text, () => undefined);
}

/** The answer the bridge gives itself for a command only a person at the keyboard may send. */
function refusedHere(name: string): WireReply<never> {
  return {
    ok: false,
    error: {
      code: 'forbidden',
      message: `${name} cannot be used from a browser page: it chooses a program the app runs.`,
      hint: 'Change it in the desktop app\'s Settings or with the CLI, e.g. `fleet settings editor code --goto {file}:{line}`.',
    },
  };
}

/** The WebSocket bridge: requests validated at the edge, replies as data, events pushed. */
function bindSocket(core: FleetCore, ws: WebSocket, sockets: Set<WebSocket>): void {
  sockets.add(ws);
  const unsubscribe = core.subscribe((event) => sendSafely(ws, { event }));
  ws.on('message', (data) => {
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      sendSafely(ws, { id: null, reply: { ok: false, error: { code: 'invalid-input', message: 'Message is not JSON.' } } });
      return;
    }
    const parsed = wsRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
      sendSafely(ws, { id: null, reply: { ok: false, error: { code: 'invalid-input', message: `Bad request: ${message}` } } });
      return;
    }
    const { id, name, input } = parsed.data;
    // This bridge, not the page, decides: commands that choose programs the app runs are refused here.
    if (isCommandName(name) && commands[name].personOnly) {
      sendSafely(ws, { id, reply: refusedHere(name) });
      return;
    }
    const unsendable = { id, reply: { ok: false, error: { code: 'failed', message: 'The answer could not be serialised.' } } };
    void core.invokeWire(name, input).then(
      (reply) => sendSafely(ws, { id, reply }, unsendable),
      () => sendSafely(ws, unsendable),
    );
  });
  ws.on('close', () => {
    unsubscribe();
    sockets.delete(ws);
  });
  ws.on('error', () => ws.terminate());
}
