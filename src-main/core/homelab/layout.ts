import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside, realRoot } from '../checkout/paths';
import type { InventoryWarning } from './types';

const layoutDirs = ['systems', 'homes', 'droids'] as const;

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function holdsLayout(dir: string): boolean {
  return layoutDirs.some((d) => isDir(path.join(dir, d)));
}

/**
 * The folder holding systems/, homes/, droids/: the setting for this checkout when there
 * is one, else the checkout root when it holds them, else the first subfolder that does
 * (real checkouts keep everything under nix/ or similar), else the root.
 */
export function detectLayoutRoot(root: string, override?: string): { layoutRoot: string; warnings: InventoryWarning[] } {
  if (override !== undefined && override !== '' && override !== '.') {
    const chosen = path.resolve(root, override);
    const inside = path.relative(root, chosen);
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      return { layoutRoot: root, warnings: [{ severity: 'error', message: `The layout folder setting "${override}" is outside the checkout; using the checkout root.` }] };
    }
    let real: string | undefined;
    try {
      real = fs.realpathSync.native(chosen);
    } catch {
      real = undefined;
    }
    if (real !== undefined && !isInside(realRoot(root), real)) {
      return { layoutRoot: root, warnings: [{ severity: 'error', path: override, message: `The layout folder "${override}" is a symlink to ${real}, outside the checkout; using the checkout root.` }] };
    }
    if (!isDir(chosen)) {
      return {
        layoutRoot: root,
        warnings: [{ severity: 'error', path: override, message: `The layout folder "${override}" set for this checkout does not exist; using the checkout root.` }],
      };
    }
    return { layoutRoot: chosen, warnings: [] };
  }
  if (override === undefined && !holdsLayout(root)) {
    let names: string[];
    try {
      names = fs
        .readdirSync(root, { withFileTypes: true })
        .filter((d) => (d.isDirectory() || d.isSymbolicLink()) && !d.name.startsWith('.') && d.name !== 'node_modules')
        .map((d) => d.name)
        .sort((a, b) => (a === 'nix' ? -1 : b === 'nix' ? 1 : a < b ? -1 : 1));
    } catch {
      names = [];
    }
    const base = realRoot(root);
    for (const name of names) {
      if (!isInside(base, realRoot(path.join(root, name)))) continue;
      if (holdsLayout(path.join(root, name))) return { layoutRoot: path.join(root, name), warnings: [] };
    }
    return {
      layoutRoot: root,
      warnings: [
        {
          severity: 'warning',
          message: 'No systems/, homes/ or droids/ folder found in the checkout or a subfolder; set the layout folder if they live elsewhere.',
        },
      ],
    };
  }
  return { layoutRoot: root, warnings: [] };
}
