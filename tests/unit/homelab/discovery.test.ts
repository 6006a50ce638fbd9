import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { scanInventory } from '../../../src-main/core/homelab/scan';
import { flakeNix, makeTree, nixConfig } from './tree';

describe('discovery of systems', () => {
  it('counts a folder holding default.nix and a standalone .nix file, named without .nix', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/alpha/default.nix': nixConfig, 'systems/beta.nix': nixConfig });
    const inv = scanInventory(root);
    expect(inv.systems.map((s) => [s.name, s.path])).toEqual([
      ['alpha', 'systems/alpha'],
      ['beta', 'systems/beta.nix'],
    ]);
  });

  it('lists the extra files beside a configuration', () => {
    const root = makeTree({
      'flake.nix': flakeNix,
      'systems/alpha/default.nix': nixConfig,
      'systems/alpha/disko.nix': nixConfig,
      'systems/alpha/facter.json': '{}',
      'systems/alpha/meta.json': '{"system":"aarch64-linux"}',
    });
    expect(scanInventory(root).systems[0]?.files).toEqual(['disko.nix', 'facter.json', 'meta.json']);
  });

  it('does not count systems/default.nix nor a folder without default.nix, and says why for the folder', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/default.nix': nixConfig, 'systems/gamma/hardware.nix': nixConfig });
    const inv = scanInventory(root);
    expect(inv.systems).toEqual([]);
    expect(inv.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('systems/gamma/ has no default.nix'));
  });

  it('warns about a file that is not .nix', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/notes.txt': 'hello', 'systems/a/default.nix': nixConfig });
    const inv = scanInventory(root);
    expect(inv.systems.map((s) => s.name)).toEqual(['a']);
    expect(inv.warnings).toContainEqual(expect.objectContaining({ path: 'systems/notes.txt', message: expect.stringContaining('not a .nix file') }));
  });

  it('survives a symlink loop and a dangling symlink in systems/, with a warning for each', () => {
    const root = makeTree({
      'flake.nix': flakeNix,
      'systems/ok/default.nix': nixConfig,
      'systems/loop': { symlink: 'loop' },
      'systems/gone': { symlink: '/nonexistent/fleet-test' },
    });
    const inv = scanInventory(root);
    expect(inv.systems.map((s) => s.name)).toEqual(['ok']);
    const messages = inv.warnings.map((w) => w.message);
    expect(messages).toContainEqual(expect.stringContaining('systems/loop is a symlink loop'));
    expect(messages).toContainEqual(expect.stringContaining('systems/gone is a dangling symlink'));
  });

  it('follows a symlink to a configuration folder', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'shared/host/default.nix': nixConfig, 'systems/linked': { symlink: '../shared/host' } });
    expect(scanInventory(root).systems.map((s) => s.name)).toEqual(['linked']);
  });

  it('warns about an entry that is neither a file nor a folder (a FIFO)', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/a/default.nix': nixConfig });
    execFileSync('mkfifo', [path.join(root, 'systems', 'pipe')]);
    const inv = scanInventory(root);
    expect(inv.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('systems/pipe is neither a folder nor a file'));
  });

  it.skipIf(process.getuid?.() === 0)('warns about an unreadable configuration folder (needs a non-root user)', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/locked/default.nix': nixConfig });
    fs.chmodSync(path.join(root, 'systems', 'locked'), 0o000);
    try {
      expect(scanInventory(root).warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('cannot be read'));
    } finally {
      fs.chmodSync(path.join(root, 'systems', 'locked'), 0o755);
    }
  });

  it('shows names with spaces or shell characters and refuses them as deploy targets', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/my host/default.nix': nixConfig, 'systems/x;rm$(id).nix': nixConfig, 'systems/fine/default.nix': nixConfig });
    const inv = scanInventory(root);
    const byName = new Map(inv.systems.map((s) => [s.name, s]));
    expect(byName.get('my host')?.deploy.refused).toMatch(/whitespace/);
    expect(byName.get('x;rm$(id)')?.deploy.refused).toMatch(/characters/);
    expect(byName.get('my host')?.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('cannot be deployed'));
    expect(byName.get('fine')?.deploy.refused).toBeUndefined();
  });

  it('explains a checkout without flake.nix and one that is not a git repository', () => {
    const root = makeTree({ 'systems/a/default.nix': nixConfig });
    const messages = scanInventory(root).warnings.map((w) => w.message);
    expect(messages).toContainEqual(expect.stringContaining('has no flake.nix'));
    expect(messages).toContainEqual(expect.stringContaining('not a git repository'));
  });

  it('finds droids (aarch64-linux by default) and templates', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'droids/phone/default.nix': nixConfig, 'templates/host/flake.nix': flakeNix });
    const inv = scanInventory(root);
    expect(inv.droids.map((d) => [d.name, d.system])).toEqual([['phone', 'aarch64-linux']]);
    expect(inv.templates).toEqual(['host']);
  });

  it('builds the module tree of modules/{nixos,home,droid}', () => {
    const root = makeTree({
      'flake.nix': flakeNix,
      'modules/nixos/common.nix': nixConfig,
      'modules/nixos/desktop/default.nix': nixConfig,
      'modules/nixos/desktop/gnome.nix': nixConfig,
      'modules/home/git.nix': nixConfig,
      'modules/home/README.md': 'not a module',
    });
    const inv = scanInventory(root);
    expect(inv.modules.map((m) => m.name)).toEqual(['nixos', 'home']);
    const nixos = inv.modules[0];
    expect(nixos?.children.map((c) => c.name)).toEqual(['common', 'desktop']);
    expect(nixos?.children[1]?.children.map((c) => c.path)).toEqual(['modules/nixos/desktop/default.nix', 'modules/nixos/desktop/gnome.nix']);
    expect(inv.modules[1]?.children.map((c) => c.name)).toEqual(['git']);
  });
});
