import type { Readable, Writable } from 'node:stream';

/**
 * The bits of nix's "serve" protocol (`nix-store --serve`, what nix-copy-closure speaks)
 * a deploy needs: the handshake, cmdQueryValidPaths (which paths the host has),
 * cmdDumpStorePath (a NAR out of the local store) and
 * cmdAddToStoreNar (a NAR into the host's store, streamed: the host hashes and writes it
 * as it arrives, where `nix-store --import` first buffers each whole NAR in memory).
 * Numbers are little-endian u64; strings are a length, the bytes, zero padding to 8.
 */
export const serveMagic1 = 0x390c9debn;
export const serveMagic2 = 0x5452eecbn;
/** 2.7: the first version with cmdAddToStoreNar (2.5) and what nix 2.8 speaks. */
export const serveVersion = (2n << 8n) | 7n;
export const cmdQueryValidPaths = 1n;
export const cmdDumpStorePath = 3n;
export const cmdAddToStoreNar = 9n;

export function u64(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** Zero bytes that pad `n` bytes to a multiple of 8. */
export function padding(n: number): number {
  return (8 - (n % 8)) % 8;
}

/** A string (or raw bytes, as NAR names and symlink targets are): length, bytes, padding. */
export function str(s: string | Buffer): Buffer {
  return new Frame().str(s).done();
}

export function strs(list: readonly string[]): Buffer {
  return new Frame().strs(list).done();
}

/**
 * A message of the protocol written into one buffer: its parts are collected, then copied
 * once into a buffer of the exact size, instead of a buffer for every number, string and
 * padding joined by concatenation (a path's header with its references was a hundred small
 * buffers; a 20-host deploy writes 600 headers).
 */
class Frame {
  private readonly parts: (Buffer | number)[] = [];
  private size = 0;

  u64(n: number): this {
    this.parts.push(n);
    this.size += 8;
    return this;
  }

  str(s: string | Buffer): this {
    const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    this.u64(bytes.length);
    this.parts.push(bytes);
    this.size += bytes.length + padding(bytes.length);
    return this;
  }

  strs(list: readonly string[]): this {
    this.u64(list.length);
    for (const s of list) this.str(s);
    return this;
  }

  done(): Buffer {
    const out = Buffer.alloc(this.size);
    let at = 0;
    for (const part of this.parts) at = typeof part === 'number' ? putU64(out, at, part) : putBytes(out, at, part);
    return out;
  }
}

/** Write `n` (exact below 2^53, as every count and size here is) as a little-endian u64 into `out` at `at`; returns where the next field starts. */
export function putU64(out: Buffer, at: number, n: number): number {
  out.writeUInt32LE(n % 0x1_0000_0000, at);
  out.writeUInt32LE(Math.floor(n / 0x1_0000_0000), at + 4);
  return at + 8;
}

/** Write the zero padding after `n` bytes that end at `at` into `out`; returns where the next field starts. */
export function putPadding(out: Buffer, at: number, n: number): number {
  const pad = padding(n);
  out.fill(0, at, at + pad);
  return at + pad;
}

/** Write `bytes` and their zero padding into `out` at `at` (the length goes before, by the caller); returns where the next field starts. */
function putBytes(out: Buffer, at: number, bytes: Buffer): number {
  return putPadding(out, at + bytes.copy(out, at), bytes.length);
}

/** Write a protocol string (length, bytes, padding) into `out` at `at`; returns where the next field starts. */
export function putStr(out: Buffer, at: number, bytes: Buffer): number {
  return putBytes(out, putU64(out, at, bytes.length), bytes);
}

/** What the host needs to know about a path before its NAR. */
export interface NarInfo {
  readonly path: string;
  readonly deriver?: string;
  /** "sha256:<base16>" or SRI "sha256-<base64>". */
  readonly narHash: string;
  readonly references: readonly string[];
  readonly narSize: number;
  readonly sigs: readonly string[];
  readonly ca?: string;
}

/** The narHash as nix 2.x parses it everywhere: base16 without a prefix (sha256 implied). */
export function base16NarHash(narHash: string): string {
  const sri = /^sha256-([A-Za-z0-9+/=]+)$/.exec(narHash);
  if (sri) return Buffer.from(sri[1]!, 'base64').toString('hex');
  return narHash.replace(/^sha256:/, '');
}

/** The header of cmdAddToStoreNar for one path; its NAR (narSize bytes) follows. */
export function addToStoreNarHeader(info: NarInfo): Buffer {
  let header = headers.get(info);
  if (!header) {
    header = new Frame()
      .u64(Number(cmdAddToStoreNar))
      .str(info.path)
      .str(info.deriver ?? '')
      .str(base16NarHash(info.narHash))
      .strs([...info.references].sort())
      .u64(0) // registration time: the host sets its own
      .u64(info.narSize)
      .u64(0) // ultimate: no, it was built elsewhere
      .strs(info.sigs)
      .str(info.ca ?? '')
      .done();
    headers.set(info, header);
  }
  return header;
}

/** Headers made once per path of a deploy, whichever hosts it goes to (shared: never written to). */
const headers = new WeakMap<NarInfo, Buffer>();

/** Reads exact byte counts from a stream, with backpressure. */
export class ExactReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private error?: Error;
  private wake?: () => void;

  constructor(private readonly stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered > 8 * 1024 * 1024) stream.pause();
      this.wake?.();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    stream.on('error', (e) => {
      this.error = e;
      this.wake?.();
    });
    // A channel closed from this side may never emit 'end'.
    stream.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  private async waitForData(): Promise<void> {
    if (this.buffered > 0) return;
    if (this.error) throw this.error;
    if (this.ended) throw new Error('the stream ended early');
    this.stream.resume();
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.buffered === 0 && this.error) throw this.error;
    if (this.buffered === 0 && this.ended) throw new Error('the stream ended early');
  }

  /** The next chunk of at most `max` bytes. */
  async next(max: number): Promise<Buffer> {
    await this.waitForData();
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length <= max) {
      out = first;
      this.chunks.shift();
    } else {
      out = first.subarray(0, max);
      this.chunks[0] = first.subarray(max);
    }
    this.buffered -= out.length;
    if (this.buffered < 1024 * 1024) this.stream.resume();
    return out;
  }

  /** Exactly n bytes. */
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const part = await this.next(left);
      parts.push(part);
      left -= part.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  async u64(): Promise<bigint> {
    return (await this.read(8)).readBigUInt64LE(0);
  }

  /** A length-prefixed, zero-padded string. */
  async str(): Promise<string> {
    const length = Number(await this.u64());
    if (length > 64 * 1024 * 1024) throw new Error(`a string of ${length} bytes in the serve protocol`);
    const padded = length + ((8 - (length % 8)) % 8);
    return (await this.read(padded)).subarray(0, length).toString('utf8');
  }

  /** A count, then that many strings. */
  async strings(): Promise<string[]> {
    const count = Number(await this.u64());
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(await this.str());
    return out;
  }

  /** Forward exactly n bytes to `sink`, waiting for it to drain; `onBytes` sees each piece. */
  async pipeExactly(n: number, sink: Writable, onBytes: (count: number) => void): Promise<void> {
    let left = n;
    while (left > 0) {
      const part = await this.next(Math.min(left, 1024 * 1024));
      left -= part.length;
      onBytes(part.length);
      await writeDrained(sink, part);
    }
  }
}

/** Write, and when the sink is full wait until it drains (rejects when it fails or closes). */
export async function writeDrained(sink: Writable, chunk: Buffer, written?: () => void): Promise<void> {
  if (!sink.write(chunk, written && ((error) => error || written()))) await drained(sink);
}

/** Resolves when a writable can take more (or rejects when it fails or closes). */
export function drained(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('error', fail);
      sink.off('close', closed);
      resolve();
    };
    const fail = (e: Error) => {
      sink.off('drain', done);
      sink.off('close', closed);
      reject(e);
    };
    const closed = () => {
      sink.off('drain', done);
      sink.off('error', fail);
      reject(new Error('the connection closed'));
    };
    sink.once('drain', done);
    sink.once('error', fail);
    sink.once('close', closed);
  });
}
