import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genOfHelper } from '../../src-main/core/deploy/remote-scripts';

/**
 * gen_of, the remote scripts' "which generation does this profile point at", in the shells
 * hosts run it with (dash as Debian's sh, bash as NixOS's), against real profile links laid
 * out as nix-env makes them. A readlink on the PATH that records its calls shows when the
 * shell alone answered.
 */
const shells = ['/bin/sh', '/bin/bash'].filter((s) => fs.existsSync(s));

describe.each(shells)('gen_of in %s', (shell) => {
  let dir: string;
  let calls: string;
  let bin: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-gen-of-'));
    bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    calls = path.join(dir, 'readlink-calls');
    fs.writeFileSync(path.join(bin, 'readlink'), `#!/bin/sh\necho "$@" >> '${calls}'\nexec /bin/readlink "$@"\n`, { mode: 0o755 });
    for (const name of ['a', 'b', 'c']) fs.mkdirSync(path.join(dir, `store-${name}`));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A profile `name` with generation links number -> store dir, pointing at generation `current`. */
  function profile(name: string, generations: Record<number, string>, current?: number): string {
    const p = path.join(dir, name);
    for (const [n, target] of Object.entries(generations)) fs.symlinkSync(path.join(dir, target), `${p}-${n}-link`);
    if (current !== undefined) fs.symlinkSync(`${name}-${current}-link`, p);
    return p;
  }

  function genOf(p: string): { gen: string; readlinks: number } {
    fs.rmSync(calls, { force: true });
    const result = spawnSync(shell, ['-c', `${genOfHelper}\ngen_of "$1"; printf '%s' "$gen"`, 'sh', p], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(result.status, result.stderr).toBe(0);
    return { gen: result.stdout, readlinks: fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n').length : 0 };
  }

  it('answers without a process when one generation holds the current path', () => {
    const p = profile('system-plain', { 1: 'store-a', 2: 'store-b', 12: 'store-c' }, 12);
    expect(genOf(p)).toEqual({ gen: '12', readlinks: 0 });
    fs.rmSync(p);
    fs.symlinkSync('system-plain-2-link', p);
    expect(genOf(p)).toEqual({ gen: '2', readlinks: 0 });
  });

  it('another profile whose name starts the same (system-bar-3-link) is not taken for a generation', () => {
    profile('prefix-bar', { 3: 'store-a' });
    const p = profile('prefix', { 7: 'store-a' }, 7);
    expect(genOf(p)).toEqual({ gen: '7', readlinks: 0 });
  });

  it('two generations holding the same path (deployed again after a rollback): readlink tells which', () => {
    const p = profile('system-again', { 5: 'store-a', 6: 'store-b', 7: 'store-a' }, 5);
    expect(genOf(p)).toEqual({ gen: '5', readlinks: 1 });
    fs.rmSync(p);
    fs.symlinkSync('system-again-7-link', p);
    expect(genOf(p)).toEqual({ gen: '7', readlinks: 1 });
  });

  it('no profile, a profile whose path is gone, and a profile that is no generation link', () => {
    expect(genOf(path.join(dir, 'nothing-here'))).toEqual({ gen: '', readlinks: 0 });
    const gone = path.join(dir, 'system-gone');
    fs.symlinkSync(path.join(dir, 'store-missing'), `${gone}-4-link`);
    fs.symlinkSync('system-gone-4-link', gone);
    expect(genOf(gone)).toEqual({ gen: '4', readlinks: 1 });
    const direct = path.join(dir, 'system-direct');
    fs.symlinkSync(path.join(dir, 'store-b'), direct);
    expect(genOf(direct).gen).toBe('');
  });
});
