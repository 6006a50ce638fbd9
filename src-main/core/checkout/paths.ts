import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../contract';

/**
 * The checkout's real path (symlinks resolved), the base every "is it inside?" check
 * compares against. Falls back to the resolved path when the folder cannot be resolved,
 * so a check against it refuses rather than throws.
 */
export function realRoot(root: string): string {
  try {
    return fs.realpathSync.native(root);
  } catch {
    return path.resolve(root);
  }
}

/** Whether `real` (already resolved) is `base` or below it. */
export function isInside(base: string, real: string): boolean {
  return real === base || real.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

/** Whether a path relative to the checkout names git's own folder (never served: config, hooks, objects). */
export function touchesGitDir(rel: string): boolean {
  return rel.split(/[\\/]/).some((part) => part.toLowerCase() === '.git');
}

/**
 * The real path of `rel` in the checkout, refusing anything that leaves it: `..`, an
 * absolute path, a symlink (of the file or of any folder on the way) that points outside,
 * and `.git/`. A path that does not exist yet is resolved through its nearest existing
 * folder, so a new file under a symlinked folder is judged by where it would land.
 */
export function resolveInsideCheckout(root: string, rel: string): string {
  const normal = path.posix.normalize(rel.split(path.sep).join('/'));
  if (rel.includes('\0') || path.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw new FleetError('invalid-input', `${rel} is not a path inside the checkout.`);
  }
  if (touchesGitDir(normal)) throw new FleetError('invalid-input', `${rel} is inside .git/, which the app never reads for a request.`);
  const base = realRoot(root);
  const real = realOfMaybeMissing(path.join(root, normal));
  if (!isInside(base, real)) {
    throw new FleetError('invalid-input', `${rel} leads outside the checkout (through a symlink to ${real}), so it is refused.`);
  }
  if (touchesGitDir(path.relative(base, real))) throw new FleetError('invalid-input', `${rel} leads into .git/, which the app never reads for a request.`);
  return real;
}

/**
 * Check an absolute path the way resolveInsideCheckout checks a relative one, against
 * any of `roots` (the open checkout, the example homelab). Answers the real path.
 */
export function requireInsideRoots(file: string, roots: readonly string[]): string {
  const real = realOfMaybeMissing(path.resolve(file));
  for (const root of roots) {
    const base = realRoot(root);
    if (isInside(base, real)) {
      if (touchesGitDir(path.relative(base, real))) break;
      return real;
    }
  }
  throw new FleetError('invalid-input', `${file} is not inside the open checkout${real !== path.resolve(file) ? ` (it leads to ${real})` : ''}.`);
}

/** realpath of `p`, or of its nearest existing parent joined with the rest when it does not exist. */
function realOfMaybeMissing(p: string): string {
  const rest: string[] = [];
  let current = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(current), ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw new FleetError('invalid-input', `${p} cannot be resolved (${code ?? 'error'}).`);
      }
      const parent = path.dirname(current);
      if (parent === current) return p;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}
