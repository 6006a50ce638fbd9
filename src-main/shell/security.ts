import type { Session, WebContents, WebFrameMain } from 'electron';
import { contentSecurityPolicy } from '../core/app/csp';

/** External sites the app may open in the system browser (docs, forges for flake inputs). */
export const externalAllowList: readonly string[] = [
  'github.com',
  'gitlab.com',
  'codeberg.org',
  'nixos.org',
  'search.nixos.org',
  'wiki.nixos.org',
  'nix-community.github.io',
];

/** Whether `url` may be opened outside the app: https only, host on the allow-list. */
export function isAllowedExternal(url: string, allowList: readonly string[] = externalAllowList): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password) return false;
  return allowList.some((host) => parsed.hostname === host || parsed.hostname.endsWith(`.${host}`));
}

/** Whether `url` is the app's own page (the built renderer, or the dev server in development). */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const target = new URL(url);
    const app = new URL(appUrl);
    if (app.protocol === 'file:') return target.protocol === 'file:' && target.pathname === app.pathname;
    return target.origin === app.origin;
  } catch {
    return false;
  }
}

/** IPC is only answered for the app's own top frame: not iframes, not other pages. */
export function isTrustedSender(frame: Pick<WebFrameMain, 'url' | 'parent'> | null | undefined, appUrl: string): boolean {
  if (!frame || frame.parent !== null) return false;
  return isAppUrl(frame.url, appUrl);
}

/**
 * Lock a window's contents down: no navigation away from the app, window.open denied
 * (allow-listed https links go to the system browser instead), no webviews, and every
 * permission request (camera, notifications from the page, geolocation...) refused.
 */
export function hardenWebContents(
  contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>,
  appUrl: string,
  openExternal: (url: string) => void,
): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/** Session-wide rules: deny permissions, and send the CSP with every response. */
export function hardenSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'webRequest'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [contentSecurityPolicy],
      },
    });
  });
}
