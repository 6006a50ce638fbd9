import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCore, type FleetCore } from '../../../src-main/core/core';
import { serve, type RunningServer } from '../../../src-main/server/server';

function request(port: number, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

function openSocket(port: number, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

describe('fleet serve: loopback only, token required, other origins refused', () => {
  let core: FleetCore;
  let server: RunningServer;
  let cookie: string;

  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-serve-'));
    const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-renderer-'));
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Homelab Fleet</title>');
    core = createCore({ host: 'server', dataDir });
    server = await serve(core, { rendererDir });
  });
  afterAll(async () => {
    await server.close();
    await core.dispose();
  });

  it('prints a 127.0.0.1 URL with a random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('refuses a request without the token (401)', async () => {
    const res = await request(server.port, '/', { Host: `127.0.0.1:${server.port}` });
    expect(res.status).toBe(401);
    expect(res.body).not.toContain('Homelab Fleet</title>');
  });

  it('refuses a wrong token (401)', async () => {
    const res = await request(server.port, '/?token=nope', { Host: `127.0.0.1:${server.port}` });
    expect(res.status).toBe(401);
  });

  it('trades the token for an HttpOnly SameSite cookie and serves the UI with the CSP', async () => {
    const res = await request(server.port, `/?token=${server.token}`, { Host: `127.0.0.1:${server.port}` });
    expect(res.status).toBe(302);
    const setCookie = res.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    cookie = setCookie.split(';')[0]!;
    const page = await request(server.port, '/', { Host: `127.0.0.1:${server.port}`, Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Homelab Fleet');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('refuses another Origin (403) even with the token', async () => {
    const res = await request(server.port, `/?token=${server.token}`, { Host: `127.0.0.1:${server.port}`, Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403', async () => {
    const res = await request(server.port, `/?token=${server.token}`, { Host: `evil.example:${server.port}` });
    expect(res.status).toBe(403);
  });

  it('does not serve files outside the UI folder', async () => {
    const res = await request(server.port, '/..%2f..%2f..%2fetc%2fpasswd', { Host: `127.0.0.1:${server.port}`, Cookie: cookie });
    expect(res.body).not.toContain('root:');
  });

  it('the WebSocket refuses no token (401) and a foreign origin (403)', async () => {
    expect(await openSocket(server.port, {})).toBe(401);
    expect(await openSocket(server.port, { Cookie: cookie, Origin: 'https://evil.example' })).toBe(403);
  });

  it('the WebSocket bridge answers commands and reports bad requests as data', async () => {
    const ws = await openSocket(server.port, { Cookie: cookie, Origin: `http://127.0.0.1:${server.port}` });
    expect(ws).toBeInstanceOf(WebSocket);
    const socket = ws as WebSocket;
    const replies: unknown[] = [];
    socket.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id?: number | null };
      if ('id' in m) replies.push(m);
    });
    socket.send(JSON.stringify({ id: 1, name: 'settings.get', input: {} }));
    socket.send(JSON.stringify({ id: 2, name: 'jobs.get', input: { jobId: 3 } }));
    socket.send('not json');
    socket.send(JSON.stringify({ id: 'x', name: 'settings.get' }));
    await new Promise((r) => setTimeout(r, 300));
    socket.close();
    expect(replies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 1, reply: expect.objectContaining({ ok: true }) }),
        expect.objectContaining({ id: 2, reply: expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'invalid-input' }) }) }),
        expect.objectContaining({ id: null, reply: expect.objectContaining({ error: expect.objectContaining({ message: 'Message is not JSON.' }) }) }),
        expect.objectContaining({ id: null, reply: expect.objectContaining({ error: expect.objectContaining({ message: expect.stringMatching(/^Bad request: id/) }) }) }),
      ]),
    );
  });
});
