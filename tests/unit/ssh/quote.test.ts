import { describe, expect, it } from 'vitest';
import { quoteRemoteArg, quoteRemoteArgs } from '../../../src-main/core/ssh/quote';

describe('remote commands are built from argument vectors, every argument quoted', () => {
  it('leaves plain words alone', () => {
    expect(quoteRemoteArgs(['nix-store', '--check-validity', '/nix/store/abc-foo-1.0'])).toBe('nix-store --check-validity /nix/store/abc-foo-1.0');
  });

  it('single-quotes anything a shell would interpret', () => {
    expect(quoteRemoteArg('a b')).toBe("'a b'");
    expect(quoteRemoteArg('$HOME')).toBe("'$HOME'");
    expect(quoteRemoteArg('`id`;rm -rf /')).toBe("'`id`;rm -rf /'");
    expect(quoteRemoteArg('*')).toBe("'*'");
    expect(quoteRemoteArg('~')).toBe("'~'");
    expect(quoteRemoteArg('')).toBe("''");
    expect(quoteRemoteArg('line\nbreak')).toBe("'line\nbreak'");
  });

  it("writes an embedded single quote as '\\''", () => {
    expect(quoteRemoteArg("it's")).toBe("'it'\\''s'");
    expect(quoteRemoteArgs(['echo', "'; touch /tmp/pwned; '"])).toBe("echo ''\\''; touch /tmp/pwned; '\\'''");
  });

  it('refuses NUL bytes and empty commands', () => {
    expect(() => quoteRemoteArg('a\0b')).toThrow(/NUL/);
    expect(() => quoteRemoteArgs([])).toThrow(/program/);
  });
});
