import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fstabOf, wrappersCurrent, writeWrappers } from '../../harness/toolchain/wrappers.js';

// A new machine: Debian's nix-bin makes no /nix until nix first runs. A toolchain made before
// that run must still show the store the run makes (it once wrote an fstab without /nix, and
// every sid nix then wrote into its own root filesystem's store).
describe('current-Nix toolchain wrappers: every program sees the machine\'s store', () => {
  const dirs: string[] = [];
  const toolchainDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-toolchain-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, 'rootfs', 'etc'), { recursive: true });
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('lists /nix, /etc/nix, /proc and /dev whatever this machine has today', () => {
    const lines = fstabOf('/var/cache/t/rootfs').trim().split('\n');
    expect(lines).toEqual(expect.arrayContaining([
      '/nix /var/cache/t/rootfs/nix none bind 0 0',
      '/etc/nix /var/cache/t/rootfs/etc/nix none bind 0 0',
      '/proc /var/cache/t/rootfs/proc none rbind 0 0',
      '/dev /var/cache/t/rootfs/dev none rbind 0 0',
    ]));
  });

  it('finds a toolchain whose fstab lacks /nix out of date, and rewriting its wrappers fixes it', async () => {
    const dir = toolchainDir();
    const rootfs = path.join(dir, 'rootfs');
    // What a toolchain made on a machine without /nix had.
    const old = fstabOf(rootfs).split('\n').filter((line) => !line.startsWith('/nix ')).join('\n');
    writeFileSync(path.join(dir, 'fstab'), old);
    expect(await wrappersCurrent(dir)).toBe(false);
    await writeWrappers(dir);
    expect(await wrappersCurrent(dir)).toBe(true);
    expect(readFileSync(path.join(dir, 'fstab'), 'utf8')).toContain(`/nix ${rootfs}/nix none bind 0 0\n`);
  });

  it('finds a toolchain with no fstab at all out of date', async () => {
    expect(await wrappersCurrent(toolchainDir())).toBe(false);
  });
});
