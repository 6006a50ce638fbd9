import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModuleNode } from './types';

const kinds = ['nixos', 'home', 'droid'] as const;

/**
 * The reusable modules under modules/{nixos,home,droid} as a tree: one node per kind,
 * holding its folders and .nix files. Unreadable folders and symlink loops are skipped
 * (the tree is for browsing; discovery warnings come from the configurations).
 */
export function scanModules(root: string, layoutRoot: string): ModuleNode[] {
  const nodes: ModuleNode[] = [];
  for (const kind of kinds) {
    const dir = path.join(layoutRoot, 'modules', kind);
    const rel = path.relative(root, dir).split(path.sep).join('/');
    const children = walk(dir, rel, kind, 0);
    if (children) nodes.push({ name: kind, path: rel, kind, children });
  }
  return nodes;
}

function walk(dir: string, rel: string, kind: ModuleNode['kind'], depth: number): ModuleNode[] | undefined {
  if (depth > 32) return [];
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const nodes: ModuleNode[] = [];
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue;
    const childRel = `${rel}/${d.name}`;
    let isDir = d.isDirectory();
    let isFile = d.isFile();
    if (d.isSymbolicLink()) {
      try {
        const stat = fs.statSync(path.join(dir, d.name));
        isDir = stat.isDirectory();
        isFile = stat.isFile();
      } catch {
        continue;
      }
    }
    if (isDir) {
      const children = walk(path.join(dir, d.name), childRel, kind, depth + 1);
      if (children) nodes.push({ name: d.name, path: childRel, kind, children });
    } else if (isFile && d.name.endsWith('.nix')) {
      nodes.push({ name: d.name.slice(0, -4), path: childRel, kind, children: [] });
    }
  }
  nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return nodes;
}

/** The templates under templates/: one per folder. */
export function scanTemplates(layoutRoot: string, root: string): string[] {
  for (const base of new Set([layoutRoot, root])) {
    try {
      return fs
        .readdirSync(path.join(base, 'templates'), { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name)
        .sort();
    } catch {
      // try the next place
    }
  }
  return [];
}
