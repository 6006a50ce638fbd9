import type { CacheLocation } from '../nix/cache';
import type { HostSession } from './host-session';

/** Whether a host would substitute from the homelab's cache, read from its own nix configuration. */
export interface CacheTrust {
  /** The cache's public key is in its trusted-public-keys. */
  readonly trustsKey: boolean;
  /** The cache is one of its substituters. */
  readonly usesCache: boolean;
  readonly substituters: readonly string[];
  /** Why it could not be read. */
  readonly error?: string;
}

// `nix config show` since nix 2.20, `nix show-config` before (2.8 here); the host's nix.conf
// as the last resort (a host whose nix lacks the new CLI).
const readConfigScript = `
nix --extra-experimental-features nix-command config show 2>/dev/null && exit 0
nix --extra-experimental-features nix-command show-config 2>/dev/null && exit 0
cat /etc/nix/nix.conf
`;

/** Parse `key = value` lines of nix's configuration. */
export function parseNixConfig(text: string): ReadonlyMap<string, string> {
  const settings = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    // extra-* settings add to their base setting, as nix reads them.
    if (key.startsWith('extra-')) {
      const base = key.slice('extra-'.length);
      settings.set(base, `${settings.get(base) ?? ''} ${value}`.trim());
    } else {
      settings.set(key, value);
    }
  }
  return settings;
}

/** Does the cache URL name the same store as a substituter entry (ssh:// with or without the user)? */
function sameCache(location: CacheLocation, substituter: string): boolean {
  if (substituter.replace(/\/+$/, '') === location.url.replace(/\/+$/, '')) return true;
  if (location.kind !== 'ssh') return false;
  const m = /^ssh(?:-ng)?:\/\/(?:[^@/?]+@)?([^/?]+)/.exec(substituter);
  return m?.[1] === location.host;
}

/** Read whether the host trusts the cache's key and substitutes from it. */
export async function hostCacheTrust(session: HostSession, location: CacheLocation, publicKey: string, signal?: AbortSignal): Promise<CacheTrust> {
  const result = await session.script(readConfigScript, [], signal ? { signal } : {});
  if (result.code !== 0) return { trustsKey: false, usesCache: false, substituters: [], error: result.stderr.trim() || `exit code ${result.code}` };
  const config = parseNixConfig(result.stdout);
  const words = (key: string) => (config.get(key) ?? '').split(/\s+/).filter(Boolean);
  const substituters = words('substituters');
  return {
    trustsKey: words('trusted-public-keys').includes(publicKey),
    usesCache: substituters.some((s) => sameCache(location, s)),
    substituters,
  };
}
