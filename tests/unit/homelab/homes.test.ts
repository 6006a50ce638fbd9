import { describe, expect, it } from 'vitest';
import { classifyHome } from '../../../src-main/core/homelab/homes';
import { scanInventory } from '../../../src-main/core/homelab/scan';
import { flakeNix, makeTree, nixConfig } from './tree';

describe('homes', () => {
  it('classifies base, global, host and droid homes', () => {
    expect(classifyHome('alice')).toEqual({ user: 'alice', kind: 'base' });
    expect(classifyHome('alice@global')).toEqual({ user: 'alice', kind: 'global' });
    expect(classifyHome('alice@droid')).toEqual({ user: 'alice', kind: 'droid' });
    expect(classifyHome('alice@moon')).toEqual({ user: 'alice', kind: 'host', host: 'moon' });
  });

  const root = makeTree({
    'flake.nix': flakeNix,
    'systems/moon/default.nix': nixConfig,
    'droids/alice/default.nix': nixConfig,
    'homes/alice/default.nix': nixConfig,
    'homes/alice@global/default.nix': nixConfig,
    'homes/alice@global/meta.json': '{"system": "aarch64-darwin"}',
    'homes/alice@moon/default.nix': nixConfig,
    'homes/alice@sun/default.nix': nixConfig,
    'homes/alice@droid/default.nix': nixConfig,
    'homes/bob.nix': nixConfig,
    'homes/carol@moon/default.nix': nixConfig,
  });
  const inv = scanInventory(root);
  const home = (name: string) => inv.homes.find((h) => h.name === name);

  it('attaches user@host homes to their system', () => {
    expect(inv.systems[0]?.homes).toEqual(['alice@moon']);
    expect(home('alice@moon')).toMatchObject({ user: 'alice', kind: 'host', host: 'moon', path: 'homes/alice@moon', warnings: [] });
  });

  it('flags a home for a host that does not exist', () => {
    expect(home('alice@sun')?.warnings[0]?.message).toContain('there is no system named "sun"');
  });

  it('flags an override whose base home does not exist (and does not attach it)', () => {
    expect(home('carol@moon')?.warnings[0]?.message).toContain('extends homes/carol, which does not exist');
  });

  it('derives standalone homes: base + global, system from the global part', () => {
    expect(inv.standaloneHomes.map((h) => [h.name, h.parts, h.system])).toEqual([
      ['alice', ['homes/alice', 'homes/alice@global'], 'aarch64-darwin'],
      ['bob', ['homes/bob.nix'], 'x86_64-linux'],
    ]);
  });

  it('attaches homes/<name> and <name>@droid to the droid of that name', () => {
    expect(inv.droids[0]?.homes).toEqual(['alice', 'alice@droid']);
  });
});
