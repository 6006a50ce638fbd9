import { describe, expect, it } from 'vitest';
import { addToStoreNarHeader, base16NarHash, str, strs, u64, ExactReader } from '../../../src-main/core/deploy/serve-protocol';
import { referencesFirst } from '../../../src-main/core/deploy/serve-copy';
import { PassThrough } from 'node:stream';

describe("nix's serve protocol, as the copy speaks it", () => {
  it('writes little-endian u64 and padded strings', () => {
    expect(u64(1).toString('hex')).toBe('0100000000000000');
    expect(str('abc').toString('hex')).toBe('0300000000000000' + '616263' + '0000000000');
    expect(str('').length).toBe(8);
    expect(str('12345678').length).toBe(16);
    expect(strs(['a', 'b']).length).toBe(8 + 16 + 16);
  });

  it('turns SRI and prefixed NAR hashes into base16', () => {
    const hex = 'a3c8881b36e60d45a6b55ba8f75062c5c225c8085c054ec28a0d13e02c8a3e31';
    expect(base16NarHash(`sha256-${Buffer.from(hex, 'hex').toString('base64')}`)).toBe(hex);
    expect(base16NarHash(`sha256:${hex}`)).toBe(hex);
  });

  it('describes a path as cmdAddToStoreNar expects: path, deriver, hash, sorted references, sizes, sigs, ca', () => {
    const header = addToStoreNarHeader({ path: '/nix/store/p', narHash: 'sha256:ab', references: ['/nix/store/z', '/nix/store/a'], narSize: 42, sigs: [] });
    const expected = Buffer.concat([u64(9), str('/nix/store/p'), str(''), str('ab'), strs(['/nix/store/a', '/nix/store/z']), u64(0), u64(42), u64(0), strs([]), str('')]);
    expect(header.equals(expected)).toBe(true);
    // A NAR past 4 GiB: its size is one little-endian u64, as the BigInt writer makes it.
    const big = { path: '/nix/store/big', narHash: 'sha256:cd', references: [], narSize: 5_000_000_123, sigs: ['k:s'], deriver: '/nix/store/d.drv', ca: 'fixed:sha256:x' };
    const bigExpected = Buffer.concat([u64(9), str(big.path), str(big.deriver), str('cd'), strs([]), u64(0), u64(big.narSize), u64(0), strs(big.sigs), str(big.ca)]);
    expect(addToStoreNarHeader(big).toString('hex')).toBe(bigExpected.toString('hex'));
    // Made once per path: the same bytes for every host.
    expect(addToStoreNarHeader(big)).toBe(addToStoreNarHeader(big));
  });

  it('reads exact byte counts across chunk borders', async () => {
    const stream = new PassThrough();
    const reader = new ExactReader(stream);
    stream.write(Buffer.from([1, 0, 0]));
    stream.write(Buffer.from([0, 0, 0, 0, 0, 7, 7]));
    expect(await reader.u64()).toBe(1n);
    expect([...(await reader.read(2))]).toEqual([7, 7]);
    stream.end();
    await expect(reader.read(1)).rejects.toThrow(/ended early/);
  });

  it('reads the string lists cmdQueryValidPaths answers with', async () => {
    const stream = new PassThrough();
    const reader = new ExactReader(stream);
    const answer = strs(['/nix/store/aaa-x', '', '/nix/store/12345678']);
    // In odd pieces, as a channel delivers them.
    for (let i = 0; i < answer.length; i += 5) stream.write(answer.subarray(i, i + 5));
    expect(await reader.strings()).toEqual(['/nix/store/aaa-x', '', '/nix/store/12345678']);
  });
});

describe('ordering a copy', () => {
  const refs: Record<string, string[]> = { app: ['lib', 'glibc'], lib: ['glibc'], glibc: [], doc: [] };

  it('sends references before the paths that use them', () => {
    const order = referencesFirst(['app', 'doc', 'glibc', 'lib'], (p) => refs[p] ?? []);
    expect(order.indexOf('glibc')).toBeLessThan(order.indexOf('lib'));
    expect(order.indexOf('lib')).toBeLessThan(order.indexOf('app'));
  });
});
