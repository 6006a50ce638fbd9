import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, connectBridge, makeHomelab, rawHttp, startServe, statusOf, stillServes, type Served } from './world';

// The real `fleet serve` process, attacked by another user or page on the same machine.
// Every case ends by checking the same process still serves the UI.
describe('fleet serve answers malformed or unauthorised requests and keeps serving', () => {
  let served: Served;
  const get = (target: string, headers: Record<string, string> = {}) => {
    const lines = Object.entries({ Host: `127.0.0.1:${served.port}`, Connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}`);
    return rawHttp(served.port, `GET ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  };
  const upgrade = (headers: Record<string, string>) =>
    get('/ws', { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'), ...headers });

  beforeAll(async () => {
    served = await startServe({ flake: makeHomelab() });
  });
  afterAll(async () => {
    await served.close();
    cleanUp();
  });

  it('a planted session cookie that is not valid percent-encoding (%E0) gets 401, on a page and on the /ws upgrade', async () => {
    const cookie = `fleet_session_${served.port}=%E0`;
    expect(statusOf(await get('/', { Cookie: cookie }))).toBe(401);
    expect(statusOf(await upgrade({ Cookie: cookie }))).toBe(401);
    expect(statusOf(await upgrade({ Cookie: `${cookie}; other=%` }))).toBe(401);
    expect(await stillServes(served)).toBe(true);
  });

  it('absolute-form request targets (http://[/, http://%zz/, a port of 99999999) get 400', async () => {
    for (const target of ['http://[/', 'http://%zz/', `http://127.0.0.1:99999999/`, '*', 'index.html']) {
      expect(statusOf(await get(target, { Cookie: served.cookie })), target).toBe(400);
    }
    const ws = await rawHttp(served.port, `GET http://[/ HTTP/1.1\r\nHost: 127.0.0.1:${served.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nCookie: ${served.cookie}\r\n\r\n`);
    expect(statusOf(ws)).toBe(400);
    expect(await stillServes(served)).toBe(true);
  });

  it('request lines and headers the HTTP parser refuses get 400 (clientError), not a dead server', async () => {
    expect(statusOf(await rawHttp(served.port, 'GARBAGE\r\n\r\n'))).toBe(400);
    expect(statusOf(await rawHttp(served.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${served.port}\r\nBad Header\r\n\r\n`))).toBe(400);
    expect(statusOf(await rawHttp(served.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`))).toBeGreaterThanOrEqual(400);
    expect(await stillServes(served)).toBe(true);
  });

  it('no token or a wrong token gets 401; the printed token is traded for an HttpOnly SameSite cookie', async () => {
    expect(statusOf(await get('/'))).toBe(401);
    expect(statusOf(await get('/?token=wrong'))).toBe(401);
    expect(statusOf(await get('/', { Cookie: `fleet_session_${served.port}=wrong` }))).toBe(401);
    expect(statusOf(await upgrade({}))).toBe(401);
    const login = await get(`/?token=${served.token}`);
    expect(statusOf(login)).toBe(302);
    expect(login).toMatch(/Set-Cookie: [^\r]*HttpOnly; SameSite=Strict/);
  });

  it('another Origin or Host (DNS rebinding) gets 403, even with the token or the cookie', async () => {
    expect(statusOf(await get(`/?token=${served.token}`, { Origin: 'https://evil.example' }))).toBe(403);
    expect(statusOf(await get('/', { Cookie: served.cookie, Host: `evil.example:${served.port}` }))).toBe(403);
    expect(statusOf(await upgrade({ Cookie: served.cookie, Origin: 'http://evil.example' }))).toBe(403);
    expect(statusOf(await upgrade({ Cookie: served.cookie, Origin: `http://127.0.0.1:${served.port + 1}` }))).toBe(403);
  });

  it('static paths cannot climb out of the UI folder, however they are spelled', async () => {
    for (const target of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd', '/%00', '/%E0']) {
      const answer = await get(target, { Cookie: served.cookie });
      expect(answer, target).not.toContain('root:x:0:0');
      expect([200, 400, 404], target).toContain(statusOf(answer));
    }
    expect(await stillServes(served)).toBe(true);
  });

  it('malformed WebSocket frames close that connection only', async () => {
    // A real upgrade, then frames no browser sends: unmasked, a reserved opcode, RSV bits, a 2^63 length.
    const frames = [Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]), Buffer.from([0x83, 0x80, 1, 2, 3, 4]), Buffer.from([0xf1, 0x80, 1, 2, 3, 4]), Buffer.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4])];
    for (const frame of frames) {
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(served.port, '127.0.0.1');
        let text = '';
        socket.on('connect', () =>
          socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${served.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nCookie: ${served.cookie}\r\n\r\n`),
        );
        socket.on('data', (d) => {
          text += d.toString('latin1');
          if (text.includes('\r\n\r\n') && !text.includes('FRAME-SENT')) {
            text += 'FRAME-SENT';
            socket.write(frame);
          }
        });
        socket.setTimeout(5000, () => socket.destroy());
        socket.on('close', () => resolve(text));
        socket.on('error', () => undefined);
      });
      expect(statusOf(answer)).toBe(101);
    }
    expect(await stillServes(served)).toBe(true);
  });

  it('messages that are not requests, and prototype keys, are answered as errors', async () => {
    const bridge = await connectBridge(served);
    try {
      expect((await bridge.sendRaw('not json')).reply).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      expect((await bridge.sendRaw('{"id":1,"name":"settings.get","input":{},"extra":1}')).reply).toMatchObject({ ok: false });
      expect((await bridge.sendRaw('{"__proto__":{"id":1},"name":"settings.get"}')).reply).toMatchObject({ ok: false });
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        expect(await bridge.call(name, {}), name).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
      }
      const polluted = await bridge.call('settings.update', JSON.parse('{"__proto__":{"theme":"dark","polluted":true}}'));
      expect(polluted.ok).toBe(false);
      const constructorKey = await bridge.call('settings.update', { constructor: { prototype: { polluted: true } } });
      expect(constructorKey.ok).toBe(false);
      const settings = await bridge.call('settings.get', {});
      expect(settings).toMatchObject({ ok: true, result: { theme: 'system' } });
      expect(JSON.stringify(settings)).not.toContain('polluted');
    } finally {
      bridge.close();
    }
    expect(await stillServes(served)).toBe(true);
  });
});
