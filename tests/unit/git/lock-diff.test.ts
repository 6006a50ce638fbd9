import { describe, expect, it } from 'vitest';
import { compareUrlOf, diffLocks } from '../../../src-main/core/git/lock-diff';
import { flakeUpdateArgs } from '../../../src-main/core/git/flake-update';
import { parseNixosVersion } from '../../../src-main/core/deploy/since-deployed';

const lock = (nodes: Record<string, unknown>) => JSON.stringify({ nodes: { root: { inputs: Object.fromEntries(Object.keys(nodes).map((k) => [k, k])) }, ...nodes }, root: 'root', version: 7 });
const github = (rev: string, lastModified: number) => ({ locked: { type: 'github', owner: 'NixOS', repo: 'nixpkgs', rev, narHash: `sha256-${rev}`, lastModified } });

describe('flake.lock diff', () => {
  it('lists updated, added and removed inputs with dates and a compare link', () => {
    const before = lock({ nixpkgs: github('aaa111', 1717200000), agenix: { locked: { type: 'git', url: 'https://example.org/agenix.git', rev: 'ccc', lastModified: 1 } } });
    const after = lock({ nixpkgs: github('bbb222', 1718000000), disko: github('ddd', 1718000000) });
    const diff = diffLocks(before, after);
    expect(diff.changes).toEqual([
      { input: 'agenix', type: 'git', source: 'https://example.org/agenix.git', change: 'removed', oldRev: 'ccc', oldDate: '1970-01-01T00:00:01.000Z' },
      { input: 'disko', type: 'github', source: 'NixOS/nixpkgs', change: 'added', newRev: 'ddd', newDate: '2024-06-10T06:13:20.000Z' },
      {
        input: 'nixpkgs', type: 'github', source: 'NixOS/nixpkgs', change: 'updated', oldRev: 'aaa111', newRev: 'bbb222',
        oldDate: '2024-06-01T00:00:00.000Z', newDate: '2024-06-10T06:13:20.000Z',
        compareUrl: 'https://github.com/NixOS/nixpkgs/compare/aaa111...bbb222',
      },
    ]);
  });

  it('is empty for the same lock, handles a missing lock and says when JSON is broken', () => {
    const same = lock({ nixpkgs: github('aaa', 1) });
    expect(diffLocks(same, same).changes).toEqual([]);
    expect(diffLocks(undefined, same).changes.map((c) => c.change)).toEqual(['added']);
    expect(diffLocks('{', same).problem).toMatch(/not valid JSON/);
  });

  it('links GitLab compares, including self-hosted ones', () => {
    expect(compareUrlOf({ type: 'gitlab', owner: 'me', repo: 'lab', host: 'git.example.org' }, 'a', 'b')).toBe('https://git.example.org/me/lab/-/compare/a...b');
    expect(compareUrlOf({ type: 'git', url: 'x' }, 'a', 'b')).toBeUndefined();
  });
});

describe('updating inputs on each nix version', () => {
  it('uses --update-input before nix 2.19 and positional inputs after', () => {
    expect(flakeUpdateArgs('2.8.0', [])).toEqual(['flake', 'update']);
    expect(flakeUpdateArgs('2.8.0', ['nixpkgs', 'disko'])).toEqual(['flake', 'lock', '--update-input', 'nixpkgs', '--update-input', 'disko']);
    expect(flakeUpdateArgs('2.24.9', ['nixpkgs'])).toEqual(['flake', 'update', 'nixpkgs']);
  });
});

describe('nixos-version --json', () => {
  it('reads the configuration revision, and nothing from garbage', () => {
    expect(parseNixosVersion('{"nixosVersion":"24.05","nixpkgsRevision":"x","configurationRevision":"abc"}')).toEqual({ nixosVersion: '24.05', configurationRevision: 'abc' });
    expect(parseNixosVersion('{"nixosVersion":"24.05","configurationRevision":""}')).toEqual({ nixosVersion: '24.05' });
    expect(parseNixosVersion('command not found')).toEqual({});
  });
});
