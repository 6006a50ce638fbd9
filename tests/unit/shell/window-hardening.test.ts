import { describe, expect, it, vi } from 'vitest';
import { mainWindowOptions } from '../../../src-main/shell/window-options';
import {
  hardenSession,
  hardenWebContents,
  isAllowedExternal,
  isAppUrl,
  isTrustedSender,
} from '../../../src-main/shell/security';
import { bindIpc, channels } from '../../../src-main/shell/ipc';
import { contentSecurityPolicy } from '../../../src-main/core/app/csp';

const appUrl = 'file:///opt/fleet/out/renderer/index.html';

/** A stand-in for WebContents that records the handlers the app installs (the Electron binary is not available here). */
function fakeContents() {
  const handlers = new Map<string, (event: { preventDefault: () => void }, url: string) => void>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  return {
    on: vi.fn((name: string, handler: (event: { preventDefault: () => void }, url: string) => void) => {
      handlers.set(name, handler);
    }),
    setWindowOpenHandler: vi.fn((handler: (details: { url: string }) => { action: string }) => {
      openHandler = handler;
    }),
    fire(name: string, url: string): boolean {
      let prevented = false;
      handlers.get(name)?.({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    },
    open(url: string) {
      return openHandler?.({ url });
    },
  };
}

describe('the window is hardened', () => {
  it('has context isolation, the sandbox, and no Node in the page', () => {
    const options = mainWindowOptions('/opt/fleet/out/preload/index.cjs');
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(options.webPreferences?.preload).toBe('/opt/fleet/out/preload/index.cjs');
  });

  it('never navigates away from the app', () => {
    const contents = fakeContents();
    hardenWebContents(contents as never, appUrl, () => undefined);
    expect(contents.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(contents.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(contents.fire('will-navigate', `${appUrl}#/deploys`)).toBe(false);
    expect(contents.fire('will-attach-webview', 'about:blank')).toBe(true);
  });

  it('denies window.open, sending only allow-listed https links to the system browser', () => {
    const contents = fakeContents();
    const opened: string[] = [];
    hardenWebContents(contents as never, appUrl, (url) => opened.push(url));
    expect(contents.open('https://github.com/NixOS/nixpkgs/compare/a...b')).toEqual({ action: 'deny' });
    expect(contents.open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(contents.open('http://github.com/')).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://github.com/NixOS/nixpkgs/compare/a...b']);
  });

  it('allow-lists external hosts exactly (no look-alike or credential tricks)', () => {
    expect(isAllowedExternal('https://github.com/x')).toBe(true);
    expect(isAllowedExternal('https://docs.github.com/x')).toBe(true);
    expect(isAllowedExternal('https://github.com.evil.example/')).toBe(false);
    expect(isAllowedExternal('https://evilgithub.com/')).toBe(false);
    expect(isAllowedExternal('https://user:pw@github.com/')).toBe(false);
    expect(isAllowedExternal('javascript:alert(1)')).toBe(false);
    expect(isAllowedExternal('not a url')).toBe(false);
  });

  it('answers IPC only for the app top frame', () => {
    expect(isTrustedSender({ url: appUrl, parent: null }, appUrl)).toBe(true);
    expect(isTrustedSender({ url: appUrl, parent: {} as never }, appUrl)).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null }, appUrl)).toBe(false);
    expect(isTrustedSender(null, appUrl)).toBe(false);
    expect(isAppUrl('http://localhost:5173/#/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
  });

  it('IPC handlers check the sender frame and the command name before relaying', async () => {
    const handlers = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    const ipcMain = { handle: (channel: string, fn: (...args: unknown[]) => Promise<unknown>) => handlers.set(channel, fn) };
    const invoke = vi.fn(async () => ({ ok: true as const, result: 'relayed' }));
    const openExternal = vi.fn(async () => undefined);
    bindIpc(ipcMain as never, { appUrl, invoke, pickFolder: async () => '/picked', openExternal });
    const trusted = { senderFrame: { url: appUrl, parent: null } };
    const iframe = { senderFrame: { url: appUrl, parent: {} } };
    const foreign = { senderFrame: { url: 'https://evil.example/', parent: null } };

    const run = handlers.get(channels.invoke)!;
    expect(await run(trusted, 'jobs.list', {})).toEqual({ ok: true, result: 'relayed' });
    expect(await run(iframe, 'jobs.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await run(foreign, 'jobs.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await run(trusted, 'shell.exec', {})).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(invoke).toHaveBeenCalledTimes(1);

    expect(await handlers.get(channels.pickFolder)!(foreign)).toBeNull();
    expect(await handlers.get(channels.pickFolder)!(trusted)).toBe('/picked');
    expect(await handlers.get(channels.openExternal)!(trusted, 'https://evil.example/')).toBe(false);
    expect(await handlers.get(channels.openExternal)!(trusted, 'https://nixos.org/manual')).toBe(true);
    expect(openExternal).toHaveBeenCalledWith('https://nixos.org/manual');
  });

  it('the session denies permissions and sends a strict CSP', () => {
    let permission: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    let check: (() => boolean) | undefined;
    let headers: ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void) | undefined;
    hardenSession({
      setPermissionRequestHandler: (fn: never) => (permission = fn),
      setPermissionCheckHandler: (fn: never) => (check = fn),
      webRequest: { onHeadersReceived: (fn: never) => (headers = fn) },
    } as never);
    const answers: boolean[] = [];
    permission?.({}, 'media', (ok) => answers.push(ok));
    permission?.({}, 'notifications', (ok) => answers.push(ok));
    expect(answers).toEqual([false, false]);
    expect(check?.()).toBe(false);
    let result: { responseHeaders: Record<string, string[]> } | undefined;
    headers?.({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (result = r as typeof result));
    expect(result?.responseHeaders['Content-Security-Policy']).toEqual([contentSecurityPolicy]);
    expect(result?.responseHeaders['X-Other']).toEqual(['1']);
  });

  it('the CSP allows only the app itself: no inline script, no eval, no framing', () => {
    expect(contentSecurityPolicy).toContain("default-src 'none'");
    expect(contentSecurityPolicy).toContain("script-src 'self'");
    expect(contentSecurityPolicy).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy).not.toMatch(/unsafe-(inline|eval)/);
  });
});
