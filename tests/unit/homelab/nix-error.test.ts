import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkoutErrorOf } from '../../../src-main/core/nix/nix-errors';

const nixErrorLocation = (stderr: string, root: string) => checkoutErrorOf(stderr, root).location;
const nixErrorMessage = (stderr: string) => checkoutErrorOf(stderr, root).message;
import { evaluationArgs, flakeRefFor } from '../../../src-main/core/homelab/nix-eval';
import { flakeNix, makeTree, nixConfig } from './tree';

// Real nix 2.8 stderr, as recorded in tests/fixtures/nix/eval-*.plain.stderr (copied so a re-recording cannot break these tests).
const syntaxError = `warning: Git tree '/tmp/fleet-nix-record.hmgSwl/eval-syntax' is dirty
error: syntax error, unexpected '=', expecting ';'

       at /nix/store/09wl134a6pxvncnsxns3i5j0bg2a2fvy-source/systems/moonlight/default.nix:10:38:

            9|   networking.hostName = "moonlight"
           10|   boot.initrd.availableKernelModules = [ "ahci" "sd_mod" ];
             |                                      ^
           11|
(use '--show-trace' to show detailed location information)
`;
const optionError = `warning: Git tree '/tmp/fleet-nix-record.hmgSwl/eval-option' is dirty
error: The option \`services.opensshd' does not exist. Definition values:
              - In \`/nix/store/a51hi6idkf4xmk9l6kxa30r9glwb7j5v-source/systems/moonlight/default.nix'
(use '--show-trace' to show detailed location information)
`;
const root = makeTree({ 'flake.nix': flakeNix, 'systems/moonlight/default.nix': nixConfig });

describe('nix error output', () => {
  it('maps the store path of a recorded nix 2.8 syntax error back to the checkout file and line', () => {
    const stderr = syntaxError;
    expect(nixErrorLocation(stderr, root)).toEqual({ file: path.join(root, 'systems/moonlight/default.nix'), line: 10, column: 38 });
    expect(nixErrorMessage(stderr)).toBe("syntax error, unexpected '=', expecting ';'");
  });

  it('points at the file of a module-system error that names no line', () => {
    const stderr = optionError;
    expect(nixErrorLocation(stderr, root)).toEqual({ file: path.join(root, 'systems/moonlight/default.nix'), line: 1 });
    expect(nixErrorMessage(stderr)).toBe("The option `services.opensshd' does not exist. Definition values: - In `systems/moonlight/default.nix'");
  });

  it('understands the «flakeref»/path form of newer nix', () => {
    const stderr = `error: undefined variable 'foo'\n\n       at «git+file://${root}»/systems/moonlight/default.nix:3:5:\n`;
    expect(nixErrorLocation(stderr, root)).toEqual({ file: path.join(root, 'systems/moonlight/default.nix'), line: 3, column: 5 });
  });

  it('skips locations outside the checkout (e.g. an input) and falls back to the message only', () => {
    const stderr = "error: boom\n\n       at /nix/store/0000000000000000000000000000000a-source/lib/not-here.nix:1:1:\n";
    expect(nixErrorLocation(stderr, root)).toBeUndefined();
    expect(nixErrorMessage('warning: Git tree is dirty\nsomething odd happened\n')).toBe('something odd happened');
  });
});

describe('explaining nix errors', () => {
  it('says to git add a file nix cannot see but the checkout has', () => {
    const stderr = "warning: Git tree '/x' is dirty\nerror: getting status of '/nix/store/0ccnxa25whszw7mgbgyzdm4nqc0zwnm8-source/flake.nix': No such file or directory\n";
    expect(nixErrorMessage(stderr)).toBe(
      "getting status of 'flake.nix': No such file or directory (flake.nix exists but git does not track it, and nix only sees tracked files: run `git add flake.nix`)",
    );
    expect(nixErrorMessage("error: getting status of 'gone.nix': No such file or directory")).toBe("getting status of 'gone.nix': No such file or directory");
  });
});

describe('the evaluation call', () => {
  it('uses git+file inside a git work tree and path: outside, escaping the path', () => {
    const plain = makeTree({ 'flake.nix': flakeNix });
    expect(flakeRefFor(plain)).toBe(`path:${plain}`);
    const repo = makeTree({ '.git/HEAD': 'ref: refs/heads/main\n', 'lab dir/flake.nix': flakeNix });
    expect(flakeRefFor(path.join(repo, 'lab dir'))).toBe(`git+file://${repo}?dir=lab%20dir`);
  });

  it('passes the flake ref as a nix string literal that cannot interpolate', () => {
    const args = evaluationArgs('path:/tmp/a"b${c}');
    expect(args.slice(0, 4)).toEqual(['eval', '--json', '--impure', '--expr']);
    expect(args[4]).toContain('builtins.getFlake "path:/tmp/a\\"b\\${c}"');
  });
});
