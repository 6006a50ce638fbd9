import { describe, expect, it } from 'vitest';
import { parsePorcelainZ } from '../../../src-main/core/git/repo';

describe('git status --porcelain -z', () => {
  it('reads staged, unstaged, untracked, deleted and conflicted files', () => {
    const out = ['M  a.nix', ' M b.nix', 'MM c.nix', '?? new file.nix', ' D gone.nix', 'UU both.nix', 'AA added-twice.nix', 'A  staged.nix', ''].join('\0');
    expect(parsePorcelainZ(out)).toEqual([
      { path: 'a.nix', kind: 'modified', staged: true, unstaged: false },
      { path: 'b.nix', kind: 'modified', staged: false, unstaged: true },
      { path: 'c.nix', kind: 'modified', staged: true, unstaged: true },
      { path: 'new file.nix', kind: 'untracked', staged: false, unstaged: true },
      { path: 'gone.nix', kind: 'deleted', staged: false, unstaged: true },
      { path: 'both.nix', kind: 'conflicted', staged: true, unstaged: true },
      { path: 'added-twice.nix', kind: 'conflicted', staged: true, unstaged: true },
      { path: 'staged.nix', kind: 'added', staged: true, unstaged: false },
    ]);
  });

  it('reads renames (new path, then old path) and strips the checkout prefix', () => {
    const out = ['R  flake/systems/b.nix', 'flake/systems/a.nix', ' M other/x', ' M flake/flake.nix', ''].join('\0');
    expect(parsePorcelainZ(out, 'flake')).toEqual([
      { path: 'systems/b.nix', oldPath: 'systems/a.nix', kind: 'renamed', staged: true, unstaged: false },
      { path: 'flake.nix', kind: 'modified', staged: false, unstaged: true },
    ]);
  });
});
