import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Cookies are not scoped by port, so each server names its own. */
export function sessionCookie(port: number): string {
  return `fleet_session_${port}`;
}

/** Compare secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A cookie's value, or undefined. Never throws: a cookie another localhost page planted
 * (`fleet_session_<port>=%E0`) is just not a session.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The path and query of a request target in origin form ("/a?b"). Anything else (the
 * absolute form `http://[/`, `*`, garbage) is undefined, never an exception.
 */
export function requestTarget(raw: string | undefined): URL | undefined {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//')) return undefined;
  try {
    return new URL(raw, 'http://fleet.invalid');
  } catch {
    return undefined;
  }
}

export type AccessDecision =
  | { readonly allow: true; readonly viaQueryToken: boolean; readonly target: URL }
  | { readonly allow: false; readonly status: 400 | 401 | 403; readonly reason: string };

/**
 * Decide whether a request may talk to the server (Jupyter-style): the Host must be
 * this loopback server (no DNS rebinding), a cross-site Origin is refused (403), and the
 * token must come in the query string or the session cookie set from it (else 401).
 */
export function checkAccess(req: IncomingMessage, token: string, port: number): AccessDecision {
  const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const host = req.headers.host ?? '';
  if (!allowedHosts.has(host)) {
    return { allow: false, status: 403, reason: `Host ${JSON.stringify(host)} is not this server.` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts.has(origin.replace(/^https?:\/\//, ''))) {
    return { allow: false, status: 403, reason: `Origin ${origin} may not use this server.` };
  }
  const url = requestTarget(req.url);
  if (!url) return { allow: false, status: 400, reason: 'The request target must be a path such as "/".' };
  const queryToken = url.searchParams.get('token');
  if (queryToken !== null && sameSecret(queryToken, token)) return { allow: true, viaQueryToken: true, target: url };
  const cookie = cookieValue(req.headers.cookie, sessionCookie(port));
  if (cookie !== undefined && sameSecret(cookie, token)) return { allow: true, viaQueryToken: false, target: url };
  return { allow: false, status: 401, reason: 'Missing or wrong token: open the URL `fleet serve` printed.' };
}
