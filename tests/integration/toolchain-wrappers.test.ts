import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkToolchain, readManifest, toolchainPaths } from '../harness/toolchain/index.js';

// The sid toolchain's wrappers (made by npm test's machine set-up): they run sid's nix on this
// machine's store, from the caller's folder, with the caller's arguments untouched.
describe('the sid toolchain wrappers', () => {
  const paths = toolchainPaths('sid');
  let work: string;
  beforeAll(() => {
    // Outside /tmp, so the wrapper has to show the working folder itself (one fixed folder:
    // the wrapper leaves an empty mount point for it in the root filesystem).
    work = path.resolve(__dirname, '../../test-output/toolchain-wrappers');
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
  });
  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('are built and report the versions their manifest names', async () => {
    const check = await checkToolchain('sid');
    expect(check.problems).toEqual([]);
    const manifest = await readManifest(paths.manifest);
    expect(check.tools).toEqual(manifest?.tools);
    // nix and nix-store side by side, the same nix.
    const store = execFileSync(path.join(paths.bin, 'nix-store'), ['--version'], { encoding: 'utf8' });
    expect(store).toContain(`(Nix) ${manifest?.tools.nix}`);
  });

  it('pass arguments through untouched (spaces, quotes, $(...), ;) and run in the caller\'s folder', () => {
    fs.writeFileSync(path.join(work, 'data.txt'), 'read from the working folder');
    const tricky = `a b "c" 'd' $(touch ${work}/pwned) ; \`id\` \\ $HOME`;
    const expr = `builtins.readFile ./data.txt + "|" + ${JSON.stringify(tricky).replace(/\$/g, '\\$')}`;
    const out = execFileSync(path.join(paths.bin, 'nix'), ['--extra-experimental-features', 'nix-command', 'eval', '--impure', '--raw', '--expr', expr], {
      cwd: work,
      encoding: 'utf8',
    });
    expect(out).toBe(`read from the working folder|${tricky}`);
    expect(fs.existsSync(path.join(work, 'pwned'))).toBe(false);
  });

  it('write to this machine\'s store, which Debian 12\'s nix then reads', () => {
    const file = path.join(work, 'added.txt');
    fs.writeFileSync(file, `added by sid's nix-store ${Date.now()}\n`);
    const storePath = execFileSync(path.join(paths.bin, 'nix-store'), ['--add', file], { cwd: work, encoding: 'utf8' }).trim();
    expect(storePath).toMatch(/^\/nix\/store\/[0-9a-z]{32}-added\.txt$/);
    expect(execFileSync('nix-store', ['--verify-path', storePath], { encoding: 'utf8' })).toBe('');
    expect(fs.readFileSync(storePath, 'utf8')).toBe(fs.readFileSync(file, 'utf8'));
  });
});
