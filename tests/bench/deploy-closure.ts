import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A synthetic closure for the copy benchmarks: `count` store paths of `bytes` random
 * bytes each (incompressible, like real binaries), all referenced by one root. Built by
 * nix from /bin/sh derivations; `salt` makes every run's paths new, so nothing is cached.
 */
export function buildBenchClosure(options: { count: number; bytes: number; salt: string }): { root: string; paths: number; bytes: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-closure-'));
  const file = path.join(dir, 'closure.nix');
  fs.writeFileSync(
    file,
    `{ count, bytes, salt }:
let
  part = i: derivation {
    name = "bench-part-\${toString i}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/usr/bin/head -c \${toString bytes} /dev/urandom > $out" ];
    inherit salt;
  };
  parts = builtins.genList part count;
in derivation {
  name = "bench-closure";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo \${builtins.concatStringsSep " " (map toString parts)} > $out" ];
  inherit salt;
}
`,
  );
  const result = spawnSync(
    'nix-build',
    [file, '--no-out-link', '--option', 'substituters', '', '-j', '8', '--argstr', 'salt', options.salt, '--arg', 'count', String(options.count), '--arg', 'bytes', String(options.bytes)],
    { encoding: 'utf8' },
  );
  fs.rmSync(dir, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`building the bench closure failed: ${result.stderr}`);
  const root = result.stdout.trim().split('\n').pop()!;
  return { root, paths: options.count + 1, bytes: options.count * options.bytes };
}
