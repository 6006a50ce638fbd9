import type { DiscoveredEntry } from './discover';
import { readMetaFile } from './meta';
import { unsafeNameReason } from './names';
import type { HomeItem, HomeKind, InventoryWarning, StandaloneHome } from './types';

/** Split a home folder name: "user", "user@global", "user@droid" or "user@<host>". */
export function classifyHome(name: string): { user: string; kind: HomeKind; host?: string } {
  const at = name.indexOf('@');
  if (at < 0) return { user: name, kind: 'base' };
  const user = name.slice(0, at);
  const scope = name.slice(at + 1);
  if (scope === 'global') return { user, kind: 'global' };
  if (scope === 'droid') return { user, kind: 'droid' };
  return { user, kind: 'host', host: scope };
}

export interface HomesResult {
  readonly homes: HomeItem[];
  readonly standalone: StandaloneHome[];
}

/**
 * Classify homes/ and derive the standalone Home Manager configurations the flake builds
 * (one per base home, base + global), flagging homes that the flake would ignore: a
 * `user@host` for a host that does not exist, overrides with no base home.
 */
export function buildHomes(root: string, entries: readonly DiscoveredEntry[], systemNames: ReadonlySet<string>, droidNames: ReadonlySet<string>): HomesResult {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const homes: HomeItem[] = [];
  for (const entry of entries) {
    const { user, kind, host } = classifyHome(entry.name);
    const item = `home:${entry.name}`;
    const warnings: InventoryWarning[] = [];
    if (user === '' || (kind === 'host' && host === '')) {
      warnings.push({ severity: 'warning', item, path: entry.path, message: `${entry.path}: "${entry.name}" is not of the form user, user@global, user@droid or user@host.` });
    }
    if (kind === 'host' && host && !systemNames.has(host)) {
      warnings.push({ severity: 'warning', item, path: entry.path, message: `${entry.path} is for host "${host}", but there is no system named "${host}"; it is not used anywhere.` });
    }
    if (kind !== 'base' && user && !byName.has(user)) {
      warnings.push({ severity: 'warning', item, path: entry.path, message: `${entry.path} extends homes/${user}, which does not exist; the flake ignores it.` });
    }
    if (kind === 'droid' && user && !droidNames.has(user)) {
      warnings.push({ severity: 'info', item, path: entry.path, message: `${entry.path}: no droid named "${user}" imports it.` });
    }
    const unsafe = unsafeNameReason(entry.name.replace('@', '_'));
    if (unsafe) warnings.push({ severity: 'warning', item, path: entry.path, message: `${entry.path}: ${unsafe}.` });
    homes.push({ name: entry.name, user, kind, ...(host !== undefined ? { host } : {}), path: entry.path, warnings });
  }
  const standalone: StandaloneHome[] = [];
  for (const home of homes) {
    if (home.kind !== 'base') continue;
    const base = byName.get(home.name) as DiscoveredEntry;
    const global = byName.get(`${home.name}@global`);
    // The system comes from the global part's meta.json when there is one (lib/homelab.nix mkStandaloneHome).
    const metaFrom = global ?? base;
    const item = `standalone-home:${home.name}`;
    const meta = readMetaFile(root, metaFrom.form === 'directory' ? metaFrom.absolute : undefined, metaFrom.path, 'x86_64-linux', item);
    standalone.push({
      name: home.name,
      user: home.user,
      system: meta.system,
      parts: global ? [base.path, global.path] : [base.path],
      flake: 'unknown',
      warnings: [...meta.warnings],
    });
  }
  return { homes, standalone };
}
