import { compareVersions } from '../nix/versions';
import { parseStorePath } from './store-path';
import type { ClosureDiff, ClosureEntry, PackageChange, PackageDiff } from './types';

interface Side {
  readonly versions: Set<string>;
  readonly paths: Set<string>;
  size: number;
}

interface Group {
  readonly pname: string;
  readonly output: string;
  old?: Side;
  new?: Side;
}

const changeOrder: Record<PackageChange, number> = { upgraded: 0, downgraded: 1, changed: 2, added: 3, removed: 4, rebuilt: 5 };

function newestVersion(versions: Iterable<string>): string {
  let best = '';
  for (const v of versions) if (best === '' || compareVersions(v, best) > 0) best = v;
  return best;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

// Paths whose change means the running kernel is not the one the new system boots.
function isBootCritical(pname: string): boolean {
  return pname === 'linux' || pname.startsWith('initrd') || pname === 'kernel-modules';
}

/**
 * Compare two closures by package name and version, like nvd: upgraded, downgraded,
 * added, removed (and rebuilt: same version, different store path), with the size of
 * each side, the total delta, and what the new side needs that the old side lacks (the
 * download a deploy costs when `old` is the host's current closure). Linear in paths.
 */
export function compareClosures(oldClosure: readonly ClosureEntry[], newClosure: readonly ClosureEntry[]): ClosureDiff {
  const groups = new Map<string, Group>();
  const side = (entries: readonly ClosureEntry[], which: 'old' | 'new') => {
    let total = 0;
    for (const entry of entries) {
      const parsed = parseStorePath(entry.path);
      const key = `${parsed.pname}\0${parsed.output}`;
      let group = groups.get(key);
      if (!group) {
        group = { pname: parsed.pname, output: parsed.output };
        groups.set(key, group);
      }
      const s = (group[which] ??= { versions: new Set(), paths: new Set(), size: 0 });
      s.versions.add(parsed.version);
      s.paths.add(entry.path);
      s.size += entry.narSize;
      total += entry.narSize;
    }
    return total;
  };
  const oldSize = side(oldClosure, 'old');
  const newSize = side(newClosure, 'new');

  const packages: PackageDiff[] = [];
  const counts: Record<PackageChange, number> = { upgraded: 0, downgraded: 0, changed: 0, added: 0, removed: 0, rebuilt: 0 };
  let rebootNeeded = false;
  let unversionedChanged = 0;
  for (const group of groups.values()) {
    const o = group.old;
    const n = group.new;
    let change: PackageChange | undefined;
    if (!o && n) change = 'added';
    else if (o && !n) change = 'removed';
    else if (o && n) {
      if (!sameSet(o.versions, n.versions)) {
        const c = compareVersions(newestVersion(n.versions), newestVersion(o.versions));
        change = c > 0 ? 'upgraded' : c < 0 ? 'downgraded' : 'changed';
      } else if (!sameSet(o.paths, n.paths)) change = 'rebuilt';
    }
    if (!change) continue;
    if (isBootCritical(group.pname)) rebootNeeded = true;
    const oldVersions = o ? [...o.versions].sort(compareVersions) : [];
    const newVersions = n ? [...n.versions].sort(compareVersions) : [];
    if (change === 'rebuilt' && newVersions.every((v) => v === '')) unversionedChanged++;
    counts[change]++;
    packages.push({
      name: group.output ? `${group.pname} (${group.output})` : group.pname,
      pname: group.pname,
      output: group.output,
      change,
      oldVersions,
      newVersions,
      oldSize: o?.size ?? 0,
      newSize: n?.size ?? 0,
      sizeDelta: (n?.size ?? 0) - (o?.size ?? 0),
    });
  }
  packages.sort((a, b) => changeOrder[a.change] - changeOrder[b.change] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const oldPaths = new Set(oldClosure.map((e) => e.path));
  let downloadPaths = 0;
  let downloadBytes = 0;
  for (const entry of newClosure) {
    if (!oldPaths.has(entry.path)) {
      downloadPaths++;
      downloadBytes += entry.narSize;
    }
  }
  return {
    packages,
    counts,
    oldPaths: oldClosure.length,
    newPaths: newClosure.length,
    oldSize,
    newSize,
    sizeDelta: newSize - oldSize,
    download: { paths: downloadPaths, bytes: downloadBytes },
    rebootNeeded,
    unversionedChanged,
  };
}

/** The packages that grew and shrank most, for the size chart beside the table. */
export function biggestSizeChanges(diff: ClosureDiff, count = 8): { readonly growers: readonly PackageDiff[]; readonly shrinkers: readonly PackageDiff[] } {
  const moved = diff.packages.filter((p) => p.sizeDelta !== 0);
  const growers = moved.filter((p) => p.sizeDelta > 0).sort((a, b) => b.sizeDelta - a.sizeDelta).slice(0, count);
  const shrinkers = moved.filter((p) => p.sizeDelta < 0).sort((a, b) => a.sizeDelta - b.sizeDelta).slice(0, count);
  return { growers, shrinkers };
}
