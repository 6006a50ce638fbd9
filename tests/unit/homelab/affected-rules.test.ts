import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { scanInventory } from '../../../src-main/core/homelab/scan';
import { machineIndexOf, mapChangesToMachines, type PathChange } from '../../../src-main/core/homelab/affected-rules';
import { generateHomelab } from './generated-homelab';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function indexOf(shape: Parameters<typeof generateHomelab>[0]) {
  const root = generateHomelab(shape);
  roots.push(root);
  return machineIndexOf(scanInventory(root));
}

const modified = (...paths: string[]): PathChange[] => paths.map((path) => ({ path, kind: 'modified' }));
const ids = (changes: PathChange[], index = indexOf({ systems: 6, users: 2, hostHomeEvery: 3, droids: 1 })) =>
  mapChangesToMachines(index, changes).affected.map((m) => m.id).sort();

describe('mapping changed files to machines', () => {
  const index = indexOf({ systems: 6, users: 2, hostHomeEvery: 3, droids: 1 });

  it('a file of one host affects that host only', () => {
    expect(ids(modified('systems/host-4/default.nix'), index)).toEqual(['system:host-4']);
    expect(ids(modified('systems/host-4/meta.json'), index)).toEqual(['system:host-4']);
  });

  it('a host override home affects that host only', () => {
    expect(ids(modified('homes/user-0@host-3/default.nix'), index)).toEqual(['system:host-3']);
  });

  it('a base home affects the systems and droid importing it and the standalone home', () => {
    // user-0 is attached to host-0 and host-3 and is droid user-0's home.
    expect(ids(modified('homes/user-0/default.nix'), index)).toEqual(['droid:user-0', 'home:user-0', 'system:host-0', 'system:host-3']);
    expect(ids(modified('homes/user-1/default.nix'), index)).toEqual(['home:user-1']);
  });

  it('global and droid homes affect their standalone home and phone', () => {
    expect(ids(modified('homes/user-1@global/default.nix'), index)).toEqual(['home:user-1']);
    expect(ids(modified('homes/user-0@droid/default.nix'), index)).toEqual(['droid:user-0']);
  });

  it('module folders affect every machine of their kind', () => {
    expect(ids(modified('modules/nixos/common.nix'), index)).toEqual(
      ['system:host-0', 'system:host-1', 'system:host-2', 'system:host-3', 'system:host-4', 'system:host-5'],
    );
    expect(ids(modified('modules/home/common.nix'), index)).toEqual(['droid:user-0', 'home:user-0', 'home:user-1', 'system:host-0', 'system:host-3']);
    expect(ids(modified('modules/droid/common.nix'), index)).toEqual(['droid:user-0']);
  });

  it('flake.nix, flake.lock, lib/, overlays/ and pkgs/ affect everything, with the reason', () => {
    for (const file of ['flake.nix', 'flake.lock', 'lib/default.nix', 'overlays/default.nix', 'pkgs/tool/default.nix']) {
      const result = mapChangesToMachines(index, modified(file));
      expect(result.affected).toHaveLength(9);
      expect(result.affected[0]!.reasons[0]).toMatchObject({ path: file, rule: 'flake-wide' });
    }
  });

  it('files no rule knows are listed as unmapped, not guessed', () => {
    const result = mapChangesToMachines(index, modified('README.md', 'homes/nobody@host-1/default.nix', 'systems/ghost/notes.txt'));
    expect(result.affected).toEqual([]);
    expect(result.unmapped.map((u) => u.path)).toEqual(['README.md', 'homes/nobody@host-1/default.nix', 'systems/ghost/notes.txt']);
  });

  it('a deleted host is reported as removed', () => {
    const result = mapChangesToMachines(index, [{ path: 'systems/old-box/default.nix', kind: 'deleted' }]);
    expect(result.affected).toEqual([expect.objectContaining({ id: 'system:old-box', removed: true })]);
  });

  it('single-file hosts map by their name without .nix', () => {
    const root = generateHomelab({ systems: 1, users: 0, hostHomeEvery: 99, droids: 0 });
    roots.push(root);
    fs.writeFileSync(`${root}/systems/tiny.nix`, '{ }\n');
    const idx = machineIndexOf(scanInventory(root));
    expect(mapChangesToMachines(idx, modified('systems/tiny.nix')).affected.map((m) => m.id)).toEqual(['system:tiny']);
  });

  it('follows a layout kept under nix/', () => {
    const idx = indexOf({ systems: 3, users: 1, hostHomeEvery: 2, droids: 0, layoutFolder: 'nix' });
    expect(idx.layoutPrefix).toBe('nix/');
    expect(ids(modified('nix/systems/host-1/default.nix'), idx)).toEqual(['system:host-1']);
    expect(ids(modified('nix/modules/nixos/common.nix'), idx)).toHaveLength(3);
    expect(ids(modified('nix/lib/default.nix'), idx)).toHaveLength(4);
    expect(ids(modified('flake.lock'), idx)).toHaveLength(4);
  });

  it('keeps at most 20 reasons per machine but counts them all', () => {
    const many = Array.from({ length: 30 }, (_, i) => `lib/file-${i}.nix`);
    const m = mapChangesToMachines(index, modified(...many)).affected[0]!;
    expect(m.reasons).toHaveLength(20);
    expect(m.reasonCount).toBe(30);
  });
});
