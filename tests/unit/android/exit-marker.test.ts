import { describe, expect, it } from 'vitest';
import { parseExitMarker, withExitMarker } from '../../../src-main/core/android/exit-marker';
import { shCommand, shQuote } from '../../../src-main/core/android/shell-quote';

describe('exit marker of adb shell commands', () => {
  it('appends a marker printing $? on its own line', () => {
    const marked = withExitMarker('pm path com.termux.nix', 'abc123');
    expect(marked.command).toBe(`pm path com.termux.nix; printf '\\n__FLEET_EXIT_abc123_%s\\n' "$?"`);
  });

  it('splits output and exit code, with CRLF from old adbd', () => {
    expect(parseExitMarker('package:/data/app/x\r\n\r\n__FLEET_EXIT_t1_0\r\n', 't1')).toEqual({ output: 'package:/data/app/x\n', code: 0 });
    expect(parseExitMarker('no newline\n__FLEET_EXIT_t1_127\n', 't1')).toEqual({ output: 'no newline', code: 127 });
  });

  it('cannot be faked by output carrying another token', () => {
    const raw = 'evil __FLEET_EXIT_other_0\n\n__FLEET_EXIT_mine_3\n';
    expect(parseExitMarker(raw, 'mine').code).toBe(3);
    expect(parseExitMarker(raw, 'nope').code).toBeNull();
  });

  it('reports a cut-off stream (no marker) as code null', () => {
    expect(parseExitMarker('partial outp', 'tok')).toEqual({ output: 'partial outp', code: null });
  });
});

describe('quoting for the phone shell', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shQuote('/data/local/tmp/x.tar')).toBe('/data/local/tmp/x.tar');
    expect(shQuote("it's; rm -rf /")).toBe(`'it'\\''s; rm -rf /'`);
    expect(shQuote('')).toBe("''");
    expect(shCommand(['input', 'text', 'a b|c'])).toBe("input text 'a b|c'");
  });

  it('refuses NUL bytes', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
  });
});
