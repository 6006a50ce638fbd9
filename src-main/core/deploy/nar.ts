import * as fs from 'node:fs';
import * as path from 'node:path';
import { BufferPool } from '../buffer-pool';
import { padding, putPadding, putStr, putU64 } from './serve-protocol';

/**
 * Nix archives (NAR) of store paths, serialised here instead of by a `nix-store --serve`
 * child: file contents go from the page cache to the SSH channel without passing through a
 * pipe and a second process. The format is nix's (src/libutil/archive.cc): strings are a
 * u64 length, the bytes and zero padding to 8; a node is "(" "type" <regular|directory|
 * symlink> ... ")"; directory entries sorted by their raw bytes; a file is executable when
 * its owner may execute it. The caller checks the size against the store's narSize before
 * sending, and the host checks the hash of every byte, so a mistake here cannot slip in.
 */
export type NarNode =
  | { readonly type: 'regular'; readonly file: Buffer; readonly size: number; readonly executable: boolean }
  | { readonly type: 'symlink'; readonly target: Buffer }
  | { readonly type: 'directory'; readonly entries: readonly { readonly name: Buffer; readonly node: NarNode }[] };

/** Bytes of a NAR string of `n` bytes. */
const strSize = (n: number) => 8 + n + padding(n);
const token = (s: string) => strSize(Buffer.byteLength(s));

/**
 * Read a store path's tree (lstat, readdir, readlink): what its NAR holds, contents excepted.
 * The calls are synchronous (a store path can hold tens of thousands of files, and one
 * thread-pool round trip each would cost more than the calls), but the walk hands the event
 * loop back every few hundred entries, so the other hosts' streams and keepalives go on.
 */
export async function narTree(file: Buffer | string): Promise<NarNode> {
  let sinceYield = 0;
  const walk = async (name: Buffer): Promise<NarNode> => {
    if (++sinceYield >= 500) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const st = fs.lstatSync(name);
    if (st.isSymbolicLink()) return { type: 'symlink', target: fs.readlinkSync(name, { encoding: 'buffer' }) };
    if (st.isFile()) return { type: 'regular', file: name, size: st.size, executable: (st.mode & 0o100) !== 0 };
    if (st.isDirectory()) {
      const names = fs.readdirSync(name, { encoding: 'buffer' }).sort(Buffer.compare);
      const slash = Buffer.from('/');
      const entries: { name: Buffer; node: NarNode }[] = [];
      for (const n of names) entries.push({ name: n, node: await walk(Buffer.concat([name, slash, n])) });
      return { type: 'directory', entries };
    }
    throw new Error(`${name.toString()} is neither a file, a directory nor a symlink`);
  };
  return walk(typeof file === 'string' ? Buffer.from(file) : file);
}

/** The size in bytes of the NAR of `tree`. */
export function narSizeOf(tree: NarNode): number {
  return token('nix-archive-1') + nodeSize(tree);
}

function nodeSize(node: NarNode): number {
  let n = token('(') + token('type') + token(node.type) + token(')');
  if (node.type === 'regular') n += (node.executable ? token('executable') + token('') : 0) + token('contents') + strSize(node.size);
  else if (node.type === 'symlink') n += token('target') + strSize(node.target.length);
  else for (const e of node.entries) n += token('entry') + token('(') + token('name') + strSize(e.name.length) + token('node') + nodeSize(e.node) + token(')');
  return n;
}

/** Files up to this size are read whole into the batch with the framing around them. */
const smallFile = 256 * 1024;
/** A batch of framing and small files is handed on once it holds this much. */
const batchBytes = 256 * 1024;
/** Room kept for the framing of one node (a symlink target is at most 4095 bytes). */
const framingRoom = 8 * 1024;
/** The pieces' buffers: big files are read in parts of this size, and a batch never outgrows one. */
export const pieceBytes = 1024 * 1024;

/** The buffers every copy of this process reads its NARs into. */
export const narBuffers = new BufferPool(pieceBytes);

/**
 * The NAR of `tree` as a stream of pieces, each a part of a buffer from `buffers` that holds
 * nothing else: the consumer gives it back (BufferPool.give) once done with it, or keeps it.
 * Framing and small files are written straight into a batch (no buffer per file, no
 * concatenation); big files are read asynchronously in parts, so the reads overlap with
 * whatever the consumer does.
 */
export async function* narChunks(tree: NarNode, buffers: BufferPool = new BufferPool(pieceBytes, 0)): AsyncGenerator<Buffer> {
  let batch = buffers.take();
  let used = 0;
  const flush = (): Buffer => {
    const piece = batch.subarray(0, used);
    batch = buffers.take();
    used = 0;
    return piece;
  };
  const str = (s: string | Buffer) => {
    used = putStr(batch, used, typeof s === 'string' ? tokens(s) : s);
  };

  async function* node(n: NarNode): AsyncGenerator<Buffer> {
    if (batch.length - used < framingRoom) yield flush();
    str('(');
    str('type');
    str(n.type);
    if (n.type === 'symlink') {
      str('target');
      str(n.target);
    } else if (n.type === 'directory') {
      for (const e of n.entries) {
        if (batch.length - used < framingRoom) yield flush();
        str('entry');
        str('(');
        str('name');
        str(e.name);
        str('node');
        yield* node(e.node);
        str(')');
      }
    } else {
      if (n.executable) {
        str('executable');
        str('');
      }
      str('contents');
      if (n.size <= smallFile) {
        if (batch.length - used < 8 + n.size + framingRoom) yield flush();
        used = putU64(batch, used, n.size);
        readWhole(n.file, n.size, batch, used);
        used += n.size;
      } else {
        used = putU64(batch, used, n.size);
        yield flush();
        const handle = await fs.promises.open(n.file, 'r');
        try {
          let left = n.size;
          while (left > 0) {
            const part = buffers.take();
            const { bytesRead } = await handle.read(part, 0, Math.min(part.length, left), null);
            if (bytesRead === 0) {
              buffers.give(part);
              throw new Error(`${n.file.toString()} changed while it was read`);
            }
            left -= bytesRead;
            yield part.subarray(0, bytesRead);
          }
        } finally {
          await handle.close();
        }
      }
      used = putPadding(batch, used, n.size);
    }
    str(')');
    if (used >= batchBytes) yield flush();
  }

  try {
    str('nix-archive-1');
    yield* node(tree);
    if (used > 0) yield flush();
  } finally {
    buffers.give(batch);
  }
}

/** The framing tokens' NAR strings' bytes, made once. */
const tokenBytes = new Map<string, Buffer>();
function tokens(s: string): Buffer {
  let b = tokenBytes.get(s);
  if (!b) tokenBytes.set(s, (b = Buffer.from(s, 'utf8')));
  return b;
}

/** Read the file `file` of `size` bytes into `into` at `offset`; it must be exactly that size. */
function readWhole(file: Buffer, size: number, into: Buffer, offset: number): void {
  const fd = fs.openSync(file, 'r');
  try {
    if (fs.fstatSync(fd).size !== size) throw new Error(`${file.toString()} changed while it was read`);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, into, offset + done, size - done, done);
      if (n === 0) throw new Error(`${file.toString()} changed while it was read`);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The store path's NAR as one buffer (for tests and small paths). */
export async function narOf(storePath: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of narChunks(await narTree(path.resolve(storePath)))) chunks.push(c);
  return Buffer.concat(chunks);
}

/**
 * Pull from `source` ahead of the consumer, keeping up to `maxBytes` queued, so reading the
 * next piece overlaps with sending the last one (what a separate dumping process gives for free).
 */
export async function* readAhead<T = Buffer>(source: AsyncIterable<T>, maxBytes: number, sizeOf: (piece: T) => number = (p) => (p as Buffer).length): AsyncGenerator<T> {
  const queue: T[] = [];
  let queued = 0;
  let finished = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const producer = (async () => {
    try {
      for await (const piece of source) {
        queue.push(piece);
        queued += sizeOf(piece);
        wakeConsumer?.();
        while (queued >= maxBytes && !stopped) await new Promise<void>((resolve) => (wakeProducer = resolve));
        if (stopped) break;
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wakeConsumer?.();
    }
  })();
  try {
    for (;;) {
      if (queue.length > 0) {
        const piece = queue.shift()!;
        queued -= sizeOf(piece);
        wakeProducer?.();
        yield piece;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
      wakeConsumer = undefined;
    }
  } finally {
    stopped = true;
    wakeProducer?.();
    await producer;
  }
}

/** A store path's tree when it can be read here and adds up to the store's `narSize`; undefined otherwise (nix-store --serve then dumps it). */
export async function narTreeOfSize(storePath: string, narSize: number): Promise<NarNode | undefined> {
  try {
    const tree = await narTree(storePath);
    return narSizeOf(tree) === narSize ? tree : undefined;
  } catch {
    return undefined;
  }
}

/** The pieces of a store path's NAR, or undefined when its files do not add up to `narSize` here. */
async function readNar(storePath: string, narSize: number): Promise<Buffer[] | undefined> {
  const tree = await narTreeOfSize(storePath, narSize);
  if (!tree) return undefined;
  const pieces: Buffer[] = [];
  for await (const piece of narChunks(tree, narBuffers)) {
    // Kept: a piece that fills most of its buffer keeps the buffer, a smaller one is copied out of it.
    if (piece.length >= pieceBytes / 2) {
      narBuffers.detach(piece);
      pieces.push(piece);
    } else {
      pieces.push(Buffer.from(piece));
      narBuffers.give(piece);
    }
  }
  return pieces;
}

/**
 * NARs read once for every host of one deploy. Hosts deployed together lack mostly the same
 * paths and take them in the same order (references first, by name) at about the same time,
 * so each path's NAR is read and serialised here once and its pieces go to every host that
 * lacks it (the channel copies them into its packets; nothing writes to them). Bounded: paths
 * up to `largest` bytes, `budget` bytes in all, the least recently used dropped first; a
 * bigger path is read for each host as before. Reading NARs was a third of the deployer's
 * CPU in a 20-host deploy (node --cpu-prof: open, read, close, lstat and the garbage of the
 * buffers), 16 of whose hosts got the same closure.
 */
export class SharedNars {
  private readonly entries = new Map<string, { readonly size: number; readonly pieces: Promise<Buffer[] | undefined> }>();
  private bytes = 0;
  private reads = 0;

  constructor(
    private readonly budget = 128 * 1024 * 1024,
    private readonly largest = 32 * 1024 * 1024,
  ) {}

  /**
   * The pieces of the NAR of `storePath` (`narSize` bytes), read here at most once while kept;
   * undefined when the path is too big to keep (the caller streams it itself). Resolves to
   * undefined when its files do not add up to narSize here.
   */
  pieces(storePath: string, narSize: number): Promise<Buffer[] | undefined> | undefined {
    if (narSize > this.largest || narSize > this.budget) return undefined;
    const hit = this.entries.get(storePath);
    if (hit) {
      // Most recently used last: eviction takes the oldest first.
      this.entries.delete(storePath);
      this.entries.set(storePath, hit);
      return hit.pieces;
    }
    this.reads++;
    const entry = { size: narSize, pieces: readNar(storePath, narSize) };
    this.entries.set(storePath, entry);
    this.bytes += narSize;
    // A failed or unusable read is not kept: the next host tries again (and fails alike or dumps).
    entry.pieces.then(
      (pieces) => pieces === undefined && this.forget(storePath, entry),
      () => this.forget(storePath, entry),
    );
    for (const [p, e] of this.entries) {
      if (this.bytes <= this.budget || e === entry) break;
      this.forget(p, e);
    }
    return entry.pieces;
  }

  /** How many NARs were read (not taken from what was kept), and the bytes kept now. */
  stats(): { reads: number; keptBytes: number } {
    return { reads: this.reads, keptBytes: this.bytes };
  }

  private forget(storePath: string, entry: { readonly size: number }): void {
    if (this.entries.get(storePath) !== entry) return;
    this.entries.delete(storePath);
    this.bytes -= entry.size;
  }
}
