import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../contract';

/**
 * The real path of a homelab checkout, or a FleetError a person can act on. Nothing is
 * evaluated, built or scanned anywhere else: nix copies a flake's whole folder into the
 * world-readable store, so `--flake ~` or `/` would publish private keys.
 */
export function requireHomelabRoot(root: string): string {
  let real: string;
  try {
    real = fs.realpathSync.native(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new FleetError('not-found', `No folder at ${root}.`, { hint: 'Pick the folder of your homelab checkout, the one holding flake.nix.' });
    }
    throw new FleetError('invalid-input', `${root} cannot be opened (${code ?? 'error'}).`);
  }
  if (!fs.statSync(real).isDirectory()) {
    throw new FleetError('invalid-input', `${root} is a file, not a folder.`, { hint: 'Pick the folder holding flake.nix.' });
  }
  let flake: fs.Stats | undefined;
  try {
    flake = fs.statSync(path.join(real, 'flake.nix'));
  } catch {
    flake = undefined;
  }
  if (!flake?.isFile()) {
    throw new FleetError('no-flake', `${root} has no flake.nix, so it is not a flake-based homelab; nothing there is evaluated.`, {
      hint: 'Open the root of your homelab repository (where flake.nix is), pass --flake PATH, or run `nix flake init` there first.',
    });
  }
  return real;
}
