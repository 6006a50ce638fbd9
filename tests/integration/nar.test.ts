import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedNars, narChunks, narOf, narSizeOf, narTree, pieceBytes } from '../../src-main/core/deploy/nar';
import { BufferPool } from '../../src-main/core/buffer-pool';

/** NARs serialised by the deploy copy must be byte for byte what nix makes (`nix-store --dump`). */
describe('NAR serialisation, against real nix', () => {
  let dir: string;
  let storePath: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-nar-'));
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(path.join(tree, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(tree, 'share', 'empty-dir'), { recursive: true });
    // Names whose byte order differs from a locale or case-insensitive sort.
    for (const name of ['a', 'a.b', 'a-b', 'B', 'Z', '_', 'ä', 'a0', 'a10', 'a9']) fs.writeFileSync(path.join(tree, 'share', name), `${name}\n`);
    // A name that is not UTF-8: read and sorted as raw bytes.
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(tree, 'share', 'raw-')), Buffer.from([0xff])]), 'not utf-8\n');
    fs.writeFileSync(path.join(tree, 'empty'), '');
    fs.writeFileSync(path.join(tree, 'odd-size'), randomBytes(8 * 1024 + 3));
    // Past the small-file batch (256 KiB) and the 1 MiB read piece: the streamed path.
    fs.writeFileSync(path.join(tree, 'big'), randomBytes(2 * 1024 * 1024 + 5));
    fs.writeFileSync(path.join(tree, 'bin', 'tool'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    fs.symlinkSync('tool', path.join(tree, 'bin', 'link'));
    fs.symlinkSync('/nonexistent/target', path.join(tree, 'dangling'));
    const added = spawnSync('nix-store', ['--add', tree], { encoding: 'utf8' });
    expect(added.status, added.stderr).toBe(0);
    storePath = added.stdout.trim();
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('matches nix-store --dump byte for byte, and its size is the store narSize', async () => {
    const reference = spawnSync('nix-store', ['--dump', storePath], { maxBuffer: 64 * 1024 * 1024 }).stdout;
    const mine = await narOf(storePath);
    expect(mine.length).toBe(reference.length);
    expect(mine.equals(reference)).toBe(true);
    const info = spawnSync('nix', ['--extra-experimental-features', 'nix-command', 'path-info', '--json', storePath], { encoding: 'utf8' });
    const parsed = JSON.parse(info.stdout) as { narSize: number }[] | Record<string, { narSize: number }>;
    const narSize = Array.isArray(parsed) ? parsed[0]!.narSize : Object.values(parsed)[0]!.narSize;
    expect(narSizeOf(await narTree(storePath))).toBe(narSize);
  });

  it('streams in pieces: small files batched, big files read in parts of at most 1 MiB', async () => {
    const pieces: Buffer[] = [];
    for await (const piece of narChunks(await narTree(storePath))) pieces.push(piece);
    expect(pieces.length).toBeGreaterThan(3);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(1024 * 1024);
  });

  it('reads into reused buffers: every piece given back as soon as it is used, the NAR is still byte for byte nix-store --dump', async () => {
    const reference = spawnSync('nix-store', ['--dump', storePath], { maxBuffer: 64 * 1024 * 1024 }).stdout;
    const buffers = new BufferPool(pieceBytes, 4);
    const memory = new Set<ArrayBufferLike>();
    const out: Buffer[] = [];
    for await (const piece of narChunks(await narTree(storePath), buffers)) {
      memory.add(piece.buffer);
      out.push(Buffer.from(piece));
      buffers.give(piece);
      // A second give of the same piece, or a buffer that is not the pool's, changes nothing.
      buffers.give(piece);
      buffers.give(Buffer.alloc(16));
    }
    expect(Buffer.concat(out).equals(reference)).toBe(true);
    // Given back one by one, the pieces came out of two buffers (the one read into and the next batch's), not one each.
    expect(out.length).toBeGreaterThan(3);
    expect(memory.size).toBeLessThanOrEqual(2);
  });

  it('a piece kept for good (detached) is never handed out again', () => {
    const buffers = new BufferPool(pieceBytes, 4);
    const kept = buffers.take();
    kept.fill(7);
    buffers.detach(kept);
    buffers.give(kept);
    const next = buffers.take();
    expect(next.buffer).not.toBe(kept.buffer);
    expect(next.length).toBe(pieceBytes);
    buffers.give(next.subarray(10, 20));
    expect(buffers.take().buffer).toBe(next.buffer);
  });

  it('matches nix for a single file and a single symlink as the whole store path', async () => {
    for (const make of [(p: string) => fs.writeFileSync(p, randomBytes(100)), (p: string) => fs.symlinkSync('somewhere', p)]) {
      const p = path.join(dir, `single-${randomBytes(4).toString('hex')}`);
      make(p);
      const added = spawnSync('nix-store', ['--add', p], { encoding: 'utf8' });
      expect(added.status, added.stderr).toBe(0);
      const reference = spawnSync('nix-store', ['--dump', added.stdout.trim()]).stdout;
      expect((await narOf(added.stdout.trim())).equals(reference)).toBe(true);
    }
  });

  it('a deploy reads each NAR once for all its hosts (SharedNars): the same bytes as nix-store --dump, within its budget', async () => {
    const reference = spawnSync('nix-store', ['--dump', storePath], { maxBuffer: 64 * 1024 * 1024 }).stdout;
    const shared = new SharedNars(3 * reference.length, 2 * reference.length);
    const first = shared.pieces(storePath, reference.length);
    const second = shared.pieces(storePath, reference.length);
    expect(second).toBe(first);
    expect(Buffer.concat((await first)!).equals(reference)).toBe(true);
    expect(shared.stats()).toEqual({ reads: 1, keptBytes: reference.length });
    // A size the files do not add up to: not kept, resolved as "dump it instead".
    expect(await shared.pieces(storePath.replace(/-[^/]*$/, '-elsewhere'), 10)).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(shared.stats().keptBytes).toBe(reference.length);
    // Past the largest kept path: the caller reads it itself.
    expect(shared.pieces(storePath, 2 * reference.length + 1)).toBeUndefined();
    // Past the budget: the least recently used goes first.
    const others = await Promise.all(
      ['one', 'two', 'three'].map(async (name) => {
        const file = path.join(dir, `kept-${name}-${randomBytes(4).toString('hex')}`);
        fs.writeFileSync(file, randomBytes(reference.length));
        const added = spawnSync('nix-store', ['--add', file], { encoding: 'utf8' });
        expect(added.status, added.stderr).toBe(0);
        const p = added.stdout.trim();
        return { path: p, size: spawnSync('nix-store', ['--dump', p], { maxBuffer: 64 * 1024 * 1024 }).stdout.length };
      }),
    );
    for (const o of others) await shared.pieces(o.path, o.size);
    expect(shared.stats().keptBytes).toBeLessThanOrEqual(3 * reference.length);
    expect(shared.stats().reads).toBe(5);
    // The first path was the oldest: read again; the newest is still kept.
    await shared.pieces(storePath, reference.length);
    expect(shared.stats().reads).toBe(6);
    await shared.pieces(others[2]!.path, others[2]!.size);
    expect(shared.stats().reads).toBe(6);
  });
});
