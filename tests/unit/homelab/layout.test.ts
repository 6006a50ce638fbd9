import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanInventory } from '../../../src-main/core/homelab/scan';
import { flakeNix, makeTree, nixConfig } from './tree';

describe('layout root', () => {
  it('is the checkout root when it holds systems/', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/a/default.nix': nixConfig });
    expect(scanInventory(root).layoutRoot).toBe(root);
  });

  it('is detected in a subfolder such as nix/', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'nix/systems/a/default.nix': nixConfig, 'nix/homes/u/default.nix': nixConfig, 'docs/readme.md': '' });
    const inv = scanInventory(root);
    expect(inv.layoutRoot).toBe(path.join(root, 'nix'));
    expect(inv.systems.map((s) => s.path)).toEqual(['nix/systems/a']);
    expect(inv.homes.map((h) => h.path)).toEqual(['nix/homes/u']);
  });

  it('follows the per-checkout setting over detection', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/a/default.nix': nixConfig, 'infra/systems/b/default.nix': nixConfig });
    expect(scanInventory(root, { layoutRoot: 'infra' }).systems.map((s) => s.name)).toEqual(['b']);
  });

  it('warns when the setting names a folder that does not exist, and uses the root', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/a/default.nix': nixConfig });
    const inv = scanInventory(root, { layoutRoot: 'gone' });
    expect(inv.layoutRoot).toBe(root);
    expect(inv.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('The layout folder "gone" set for this checkout does not exist'));
  });

  it('warns when no layout folder exists anywhere', () => {
    const root = makeTree({ 'flake.nix': flakeNix });
    expect(scanInventory(root).warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('No systems/, homes/ or droids/'));
  });
});
