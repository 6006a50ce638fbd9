import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The nearest folder at or above `start` holding `marker` (".git" for the repository's top,
 * "flake.nix" for the flake's root), as git and nix look for them; undefined when none does.
 */
export function findUp(start: string, marker: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, marker))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The top folder of the git work tree holding `dir`, if any. */
export function gitTopOf(dir: string): string | undefined {
  return findUp(dir, '.git');
}
