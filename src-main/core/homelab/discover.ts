import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside, realRoot } from '../checkout/paths';
import type { InventoryWarning } from './types';

/** One configuration found in a directory by the layout's discovery rule. */
export interface DiscoveredEntry {
  /** The entry's name without ".nix". */
  readonly name: string;
  /** Path relative to the checkout root, with "/" separators. */
  readonly path: string;
  readonly absolute: string;
  /** A directory holding default.nix, or a single .nix file. */
  readonly form: 'directory' | 'file';
  /** For directories: the other files inside (meta.json, disko.nix...), sorted; empty when not listed. */
  readonly files: readonly string[];
}

export interface Discovery {
  readonly entries: readonly DiscoveredEntry[];
  readonly warnings: readonly InventoryWarning[];
  /** Whether the directory exists at all. */
  readonly exists: boolean;
}

const ignoredFiles = new Set(['README', 'README.md', 'readme.md', 'LICENSE']);

/**
 * Apply the discovery rule (lib/default.nix `discover`) to `dir`: an entry counts when it
 * is a subdirectory holding default.nix, or a regular *.nix file other than default.nix.
 * Entries that do not count are reported as warnings rather than silently dropped, since
 * a typo there is a configuration nix will never build.
 */
export function discoverEntries(root: string, dir: string, kind: string, options: { readonly listFiles?: boolean } = {}): Discovery {
  const listFiles = options.listFiles ?? true;
  const relDir = toRel(root, dir);
  const base = realRoot(root);
  let dirents: fs.Dirent[];
  try {
    const realDir = fs.realpathSync.native(dir);
    if (!isInside(base, realDir)) {
      return { entries: [], exists: true, warnings: [{ severity: 'error', path: relDir, message: `${relDir}/ is a symlink to ${realDir}, outside the checkout; it is ignored.` }] };
    }
    dirents = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { entries: [], warnings: [], exists: false };
    return {
      entries: [],
      exists: true,
      warnings: [{ severity: 'error', path: relDir, message: `${relDir}/ cannot be read (${code ?? (error as Error).message}).` }],
    };
  }
  const entries: DiscoveredEntry[] = [];
  const warnings: InventoryWarning[] = [];
  for (const dirent of dirents) {
    const entryName = dirent.name;
    if (entryName.startsWith('.')) continue;
    const absolute = path.join(dir, entryName);
    const rel = `${relDir}/${entryName}`;
    let type: 'directory' | 'file' | 'other';
    if (dirent.isSymbolicLink()) {
      // Follow symlinks the way nix's readDir + pathExists would; a loop or dangling link is a warning.
      try {
        const real = fs.realpathSync.native(absolute);
        // A link out of the checkout is not part of the homelab nix builds (and must not make the app read elsewhere).
        if (!isInside(base, real)) {
          warnings.push({ severity: 'warning', path: rel, message: `${rel} is a symlink to ${real}, outside the checkout; it is ignored.` });
          continue;
        }
        const stat = fs.statSync(real);
        type = stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : 'other';
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const why = code === 'ELOOP' ? 'is a symlink loop' : code === 'ENOENT' ? 'is a dangling symlink' : `cannot be read (${code})`;
        warnings.push({ severity: 'warning', path: rel, message: `${rel} ${why}; it is ignored.` });
        continue;
      }
    } else {
      type = dirent.isDirectory() ? 'directory' : dirent.isFile() ? 'file' : 'other';
    }
    if (type === 'directory') {
      let files: string[];
      try {
        // Without a listing, one stat answers the rule (thousands of homes: 1 syscall each instead of 4).
        files = listFiles ? fs.readdirSync(absolute) : fs.statSync(path.join(absolute, 'default.nix')).isFile() ? ['default.nix'] : [];
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          files = [];
        } else {
          warnings.push({ severity: 'warning', path: rel, message: `${rel}/ cannot be read (${code ?? 'error'}); it is ignored.` });
          continue;
        }
      }
      if (!files.includes('default.nix')) {
        warnings.push({
          severity: 'warning',
          path: rel,
          message: `${rel}/ has no default.nix, so it is not a ${kind} (add default.nix or remove the folder).`,
        });
        continue;
      }
      entries.push({
        name: entryName,
        path: rel,
        absolute,
        form: 'directory',
        files: files.filter((f) => f !== 'default.nix' && !f.startsWith('.')).sort(),
      });
    } else if (type === 'file') {
      if (entryName === 'default.nix') continue;
      if (entryName.endsWith('.nix') && entryName.length > 4) {
        entries.push({ name: entryName.slice(0, -4), path: rel, absolute, form: 'file', files: [] });
      } else if (!ignoredFiles.has(entryName)) {
        warnings.push({ severity: 'info', path: rel, message: `${rel} is not a .nix file, so it is not a ${kind}; it is ignored.` });
      }
    } else {
      warnings.push({ severity: 'warning', path: rel, message: `${rel} is neither a folder nor a file; it is ignored.` });
    }
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, warnings, exists: true };
}

/** `target` relative to `root` with "/" separators ("." for the root itself). */
export function toRel(root: string, target: string): string {
  const rel = path.relative(root, target);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}
