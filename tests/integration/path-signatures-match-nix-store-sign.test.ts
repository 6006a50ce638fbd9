import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePathInfoJson } from '../../src-main/core/nix/path-info';
import { readSigningKey, signPath } from '../../src-main/core/nix/path-signature';
import { toolchainPaths } from '../harness/toolchain/index.js';

// The signatures the app computes for a build host's paths (nix/path-signature.ts) are the
// ones `nix store sign --key-file` makes, on Debian 12's Nix 2.8 and on Debian sid's 2.34
// (the current-Nix toolchain, when it is built here): fresh paths with references, signed
// by both, compared string for string.
const sid = path.join(toolchainPaths('sid').bin, 'nix');
const nixes: readonly { readonly name: string; readonly nix: string; readonly present: boolean }[] = [
  { name: 'Debian 12 (Nix 2.8)', nix: 'nix', present: true },
  { name: 'Debian sid (Nix 2.34)', nix: sid, present: fs.existsSync(toolchainPaths('sid').manifest) },
];

describe('store path signatures made here are those of nix store sign', () => {
  let dir: string;
  let secretKeyFile: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sign-'));
    secretKeyFile = path.join(dir, 'secret');
    execFileSync('nix-store', ['--generate-binary-cache-key', 'fleet-sign-test-1', secretKeyFile, path.join(dir, 'public')]);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const { name, nix, present } of nixes) {
    it.skipIf(!present)(`${name}: the same signature for every path of a closure with references`, () => {
      const run = (...args: string[]) => execFileSync(nix, ['--extra-experimental-features', 'nix-command', ...args], { encoding: 'utf8' });
      expect(run('--version')).toMatch(name.includes('2.34') ? /2\.34/ : /2\.8/);
      // Three paths: one referring to two others (whose names sort unlike their store paths).
      const salt = randomBytes(6).toString('hex');
      const root = run('eval', '--raw', '--impure', '--expr', `builtins.toFile "top-${salt}" "\${builtins.toFile "zz-${salt}" "1"} \${builtins.toFile "aa-${salt}" "2"}"`).trim();
      const listing = () => parsePathInfoJson(run('path-info', '--json', ...(name.includes('2.34') ? ['--json-format', '1'] : []), '--recursive', root));
      const before = listing();
      expect(before.size).toBe(3);
      expect(before.get(root)!.references).toHaveLength(2);
      const key = readSigningKey(secretKeyFile);
      const ours = new Map([...before.values()].map((info) => [info.path, signPath(info, key)]));
      run('store', 'sign', '--key-file', secretKeyFile, '--recursive', root);
      for (const info of listing().values()) {
        const theirs = info.signatures.filter((s) => s.startsWith('fleet-sign-test-1:'));
        expect(theirs, info.path).toEqual([ours.get(info.path)]);
      }
    });
  }
});
