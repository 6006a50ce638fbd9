import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bestLocation,
  checkoutPath,
  collapsedTrace,
  parseNixErrorText,
  saysDiskFull,
  stripAnsi,
  toFleetError,
} from '../../../src-main/core/nix/nix-errors';

const streams = path.resolve(__dirname, 'streams');
const flake = path.resolve(__dirname, '../../../flake');
const store = '/nix/store/bnkrgxsmy0rmp6sgf4mmx0ks3mixjy6l-source';

describe('nix error text', () => {
  it('reads nix 2.8 order: message, own position, then frames', () => {
    const text = fs.readFileSync(path.join(streams, 'eval-option-error.txt'), 'utf8');
    const error = parseNixErrorText(text, flake);
    expect(error.message).toMatch(/^The option `services.openssh.nonsense' does not exist/);
    expect(error.trace.length).toBeGreaterThan(3);
    expect(error.trace[0]!.message).toMatch(/while evaluating/);
    // No own position: the file named in the message wins, at the line setting the option.
    const location = bestLocation(error, flake)!;
    expect(location.file).toBe(path.join(flake, 'systems/moonlight/default.nix'));
    const fe = toFleetError(error, flake);
    expect(fe.message).toContain('systems/moonlight/default.nix');
    expect(fe.message).not.toContain('/nix/store/');
    expect(collapsedTrace(error, flake)).toMatch(/more frames in the job log/);
  });

  it('reads newer nix order: frames first (outermost first), message last', () => {
    const text = [
      "error:",
      "       … while calling the 'derivationStrict' builtin",
      '         at <nix/derivation-internal.nix>:9:12:',
      "       … while evaluating the attribute 'a'",
      `         at ${store}/flake.nix:6:85:`,
      '            6|   a = throw "boom";',
      '',
      '       error: boom here',
    ].join('\n');
    const error = parseNixErrorText(text, undefined);
    expect(error.message).toBe('boom here');
    expect(error.trace.map((f) => f.message)).toEqual(["while evaluating the attribute 'a'", "while calling the 'derivationStrict' builtin"]);
    expect(error.trace[0]!.location).toEqual({ file: `${store}/flake.nix`, line: 6, column: 85 });
  });

  it('takes a syntax error position and maps it into the checkout', () => {
    const text = `error: syntax error, unexpected ';'\n\n       at ${store}/systems/moonlight/default.nix:27:12:\n\n           27| { broken = ;\n`;
    const error = parseNixErrorText(text, flake);
    expect(error.location).toEqual({ file: path.join(flake, 'systems/moonlight/default.nix'), line: 27, column: 12 });
    expect(error.trace).toEqual([]);
  });

  it('drops the --show-trace advice from the message', () => {
    const error = parseNixErrorText("error: boom\n(use '--show-trace' to show detailed location information)\n", undefined);
    expect(error.message).toBe('boom');
  });

  it('maps store copies of a git flake in a subfolder and lazy trees', () => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-map-'));
    fs.mkdirSync(path.join(top, '.git'));
    fs.mkdirSync(path.join(top, 'nix/systems'), { recursive: true });
    fs.writeFileSync(path.join(top, 'nix/systems/a.nix'), '{}');
    expect(checkoutPath(`${store}/nix/systems/a.nix`, path.join(top, 'nix'))).toBe(path.join(top, 'nix/systems/a.nix'));
    expect(checkoutPath('«git+file:///home/al/hl?ref=main»/systems/a.nix', undefined)).toBe('/home/al/hl/systems/a.nix');
    expect(checkoutPath('/etc/passwd', top)).toBe('/etc/passwd');
    fs.rmSync(top, { recursive: true });
  });

  it('strips colours', () => {
    expect(stripAnsi('\u001b[31;1merror:\u001b[0m x')).toBe('error: x');
  });
});

describe('saysDiskFull', () => {
  it("recognises the kernel's and SQLite's words for a full store disk, as nix prints them", () => {
    expect(saysDiskFull("error: writing to file: No space left on device")).toBe(true);
    expect(saysDiskFull("error: committing transaction: database or disk is full (in '/nix/var/nix/db/db.sqlite')")).toBe(true);
    expect(saysDiskFull("error: executing SQLite statement 'pragma synchronous = normal': disk I/O error (in '/nix/var/nix/db/db.sqlite')")).toBe(false);
    expect(saysDiskFull('error: unexpected end-of-file')).toBe(false);
  });
});
