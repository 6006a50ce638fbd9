import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Files of a generated homelab: relative path -> content (a string, or {symlink: target}). */
export type TreeSpec = Record<string, string | { readonly symlink: string }>;

/** Write a homelab tree into a fresh temp folder and return its path. */
export function makeTree(spec: TreeSpec, base = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-inventory-'))): string {
  for (const [rel, content] of Object.entries(spec)) {
    const file = path.join(base, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (typeof content === 'string') fs.writeFileSync(file, content);
    else fs.symlinkSync(content.symlink, file);
  }
  return base;
}

/** A minimal valid flake.nix (never evaluated in unit tests). */
export const flakeNix = '{ outputs = { self }: { }; }\n';

export const nixConfig = '{ ... }: { }\n';
