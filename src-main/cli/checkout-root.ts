import { findUp } from '../core/checkout/find-up';
import * as path from 'node:path';

/**
 * The homelab a CLI command acts on: --flake PATH, else the nearest folder holding
 * flake.nix from the current directory upwards (as git finds its repository), else
 * the current directory itself (commands then explain there is no flake.nix).
 */
export function resolveCheckoutRoot(flakeOption: string | undefined, cwd = process.cwd()): string {
  if (flakeOption) return path.resolve(cwd, flakeOption);
  return findUp(cwd, 'flake.nix') ?? path.resolve(cwd);
}
