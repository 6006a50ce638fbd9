import { describe, expect, it } from 'vitest';
import { reconcile } from '../../../src-main/core/homelab/reconcile';
import { scanInventory } from '../../../src-main/core/homelab/scan';
import { flakeNix, makeTree, nixConfig } from './tree';

const scan = scanInventory(
  makeTree({
    'flake.nix': flakeNix,
    'systems/a/default.nix': nixConfig,
    'systems/b/default.nix': nixConfig,
    'homes/u/default.nix': nixConfig,
    'droids/p/default.nix': nixConfig,
  }),
);

describe('reconciling the scan with the flake', () => {
  it('marks items in both, discovered only and in the flake only, warning on the last two', () => {
    const inv = reconcile(scan, { state: 'ok', nixosConfigurations: ['a', 'c'], homeConfigurations: ['u'], nixOnDroidConfigurations: [] });
    expect(inv.systems.map((s) => [s.name, s.flake])).toEqual([
      ['a', 'discovered-and-in-flake'],
      ['b', 'discovered-only'],
      ['c', 'in-flake-only'],
    ]);
    expect(inv.systems[0]?.warnings).toEqual([]);
    expect(inv.systems[1]?.warnings[0]?.message).toContain("b is not in the flake's nixosConfigurations");
    expect(inv.systems[2]?.warnings[0]?.message).toContain('not found by the directory scan');
    expect(inv.standaloneHomes[0]?.flake).toBe('discovered-and-in-flake');
    expect(inv.droids[0]?.flake).toBe('discovered-only');
  });

  it('says so when the flake has no such output', () => {
    const inv = reconcile(scan, { state: 'ok', nixosConfigurations: ['a', 'b'] });
    expect(inv.droids[0]?.warnings[0]?.message).toContain('no nixOnDroidConfigurations output');
  });

  it('leaves everything unknown while pending, confirming what the last evaluation listed', () => {
    const pending = reconcile(scan, { state: 'pending' });
    expect(pending.systems.map((s) => s.flake)).toEqual(['unknown', 'unknown']);
    const again = reconcile(scan, { state: 'pending' }, { state: 'ok', nixosConfigurations: ['a'] });
    expect(again.systems.map((s) => s.flake)).toEqual(['discovered-and-in-flake', 'unknown']);
  });

  it('keeps the scan and explains a failed evaluation with its location', () => {
    const inv = reconcile(scan, { state: 'failed', error: "undefined variable 'x'", location: { file: '/lab/systems/a/default.nix', line: 3 } });
    expect(inv.systems.map((s) => s.flake)).toEqual(['unknown', 'unknown']);
    expect(inv.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining("The flake could not be evaluated: undefined variable 'x' (/lab/systems/a/default.nix:3)"));
  });
});
