import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The homelab a CLI command acts on: --flake PATH, else the nearest folder holding
 * flake.nix from the current directory upwards (as git finds its repository), else
 * the current directory itself (commands then explain there is no flake.nix).
 */
export function resolveCheckoutRoot(flakeOption: string | undefined, cwd = process.cwd()): string {
  if (flakeOption) return path.resolve(cwd, flakeOption);
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'flake.nix'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(cwd);
    dir = parent;
  }
}
