import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types (scripts/ runs before anything is built)
import { NIX_SETTINGS, nixConfProblems, parseNixConf, withTestSettings } from '../../../scripts/setup.mjs';

describe("npm test's machine set-up: the nix settings of the test world", () => {
  it('finds every setting missing from an empty nix.conf', () => {
    expect(nixConfProblems('')).toEqual(Object.keys(NIX_SETTINGS));
  });

  it('accepts a nix.conf that has them, in any order, with more features or platforms', () => {
    const text = 'sandbox = false\nsubstituters =\nexperimental-features = flakes nix-command ca-derivations\nextra-platforms = i686-linux aarch64-linux\n';
    expect(nixConfProblems(text)).toEqual([]);
  });

  it('names the settings set otherwise, later lines winning as in nix', () => {
    expect(nixConfProblems('sandbox = false\nsandbox = true\nsubstituters = https://cache.nixos.org\n')).toEqual(
      expect.arrayContaining(['sandbox', 'substituters', 'experimental-features', 'extra-platforms']),
    );
  });

  it("replaces only its own settings, keeps the person's other lines, and is stable when run twice", () => {
    const before = '# mine\nmax-jobs = 4\nsandbox = true\n';
    const once = withTestSettings(before);
    expect(once).toMatch(/^# mine\nmax-jobs = 4\n/);
    expect(nixConfProblems(once)).toEqual([]);
    expect(parseNixConf(once).get('max-jobs')).toBe('4');
    expect(once.match(/^sandbox =/gm)).toHaveLength(1);
    expect(withTestSettings(once)).toBe(once);
  });
});
