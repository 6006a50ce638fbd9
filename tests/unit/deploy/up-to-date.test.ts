import { describe, expect, it } from 'vitest';
import { alreadyUpToDate } from '../../../src-main/core/deploy/up-to-date';

const out = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-x';
const other = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-x';

describe('an unchanged re-deploy is recognised per mode', () => {
  it('switch: only when the host runs it and its profile points at it', () => {
    expect(alreadyUpToDate('switch', out, { kind: 'system', current: out, profile: out })).toBe(true);
    // Running it after `test`, but the boot default is another generation: switch still has work.
    expect(alreadyUpToDate('switch', out, { kind: 'system', current: out, profile: other })).toBe(false);
    expect(alreadyUpToDate('switch', out, { kind: 'system', current: other, profile: out })).toBe(false);
    expect(alreadyUpToDate('switch', out, { kind: 'system' })).toBe(false);
  });

  it('test looks at what runs, boot at the profile, dry-activate always runs', () => {
    expect(alreadyUpToDate('test', out, { kind: 'system', current: out, profile: other })).toBe(true);
    expect(alreadyUpToDate('boot', out, { kind: 'system', current: other, profile: out })).toBe(true);
    expect(alreadyUpToDate('boot', out, { kind: 'system', current: out, profile: other })).toBe(false);
    expect(alreadyUpToDate('dry-activate', out, { kind: 'system', current: out, profile: out })).toBe(false);
  });

  it('a home: when its profile points at the activation package', () => {
    expect(alreadyUpToDate('switch', out, { kind: 'home', current: out })).toBe(true);
    expect(alreadyUpToDate('switch', out, { kind: 'home', current: other })).toBe(false);
  });
});
