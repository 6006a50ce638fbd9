import { randomFillSync } from 'node:crypto';
import { BufferPool } from '../buffer-pool';

/**
 * Cheaper SSH packets for ssh2's AES-GCM ciphers (what it negotiates with OpenSSH: aes128-gcm@openssh.com).
 *
 * For every packet it sends, ssh2 allocates a buffer of its own and fills the packet's 4-19
 * bytes of padding with a call of crypto.randomFillSync. Each call costs ~14 µs here: 130 ms
 * of the deployer's CPU per 300 MB copy (~9,400 packets of 32 KiB), a tenth of it, plus a
 * fresh allocation per packet for the garbage collector (node --cpu-prof, docs/BENCHMARKS.md,
 * issue 15). The same packets, laid out the same way, take their padding from a pool of
 * random bytes refilled 64 KiB at a time (each byte used once: OpenSSH's arc4random_buf
 * buffers its randomness likewise) and their memory from 1 MiB slabs, reused once every
 * packet cut from one has been written to the socket: a fresh slab for every megabyte sent
 * made the garbage collector run for the external memory (19 full collections in a 4 s
 * 20-host deploy, node --trace-gc) and touched fresh pages (page faults on this VM).
 *
 * The cipher object is ssh2's internal (it changes with every key exchange), so the
 * replacement is checked against ssh2's own allocPacket for a range of sizes when it is
 * installed; a cipher that lays packets out otherwise keeps ssh2's.
 */
interface SshCipher {
  allocPacket(payloadLen: number): Buffer;
  constructor: { name: string };
}

/** Block size and the bytes after the packet (the tag) of the ciphers handled here. */
const layouts: Record<string, { readonly block: number; readonly tag: number }> = {
  AESGCMCipherBinding: { block: 16, tag: 16 },
  AESGCMCipherNative: { block: 16, tag: 0 },
};

const randomPoolBytes = 64 * 1024;
const firstRandomBytes = 2 * 1024;
const slabBytes = 1024 * 1024;

/** The slabs every connection's packets are cut from: one is reused once every packet cut from it has been written to its socket. */
export const packetSlabs = new BufferPool(slabBytes);
/** A connection waits for the writes of at most this many slabs (a few in practice: the socket takes a slab's packets within a turn or two). */
const maxHeldSlabs = 32;

interface Slab {
  readonly memory: Buffer;
  /** Where the packets cut from it and not yet handed to the socket start. */
  readonly unsent: Set<number>;
  /** Socket writes of its memory not yet done. */
  writing: number;
  /** No more packets are cut from it. */
  full: boolean;
  /** The callback of every socket write of it (one per slab, not a closure per packet). */
  readonly written: () => void;
}

/**
 * The memory of one connection's packets. A slab goes back to the pool (for this or another
 * connection) only when it is full, every packet cut from it has been handed to the socket
 * (ssh2 queues packets during a key exchange) and every socket write of it is done: until
 * then the kernel may still read it. Without a pool every packet is a buffer of its own.
 */
export class PacketMemory {
  private random: Buffer | undefined;
  private randomAt = 0;
  /** Bytes of `random` filled (0: not yet). */
  private randomEnd = 0;
  private slab: Slab | undefined;
  private slabAt = 0;
  /** Slabs with packets cut from them, by their memory. */
  private readonly slabs = new Map<ArrayBufferLike, Slab>();

  constructor(private readonly pool?: BufferPool) {}

  /** `n` bytes for one packet: a part of the current slab (the next one when it is used up). */
  take(n: number): Buffer {
    if (!this.pool || n > this.pool.size) return Buffer.allocUnsafe(n);
    let slab = this.slab;
    if (!slab || this.slabAt + n > slab.memory.length) {
      if (slab) {
        slab.full = true;
        this.reuseIfDone(slab);
      }
      // Slabs whose writes never came back (a socket written some other way) are forgotten,
      // not held: the garbage collector frees them, as it did every packet of ssh2's own.
      if (this.slabs.size >= maxHeldSlabs) this.slabs.clear();
      const memory = this.pool.take();
      const made: Slab = {
        memory,
        unsent: new Set(),
        writing: 0,
        full: false,
        written: () => {
          made.writing--;
          this.reuseIfDone(made);
        },
      };
      slab = this.slab = made;
      this.slabs.set(memory.buffer, slab);
      this.slabAt = 0;
    }
    const out = slab.memory.subarray(this.slabAt, this.slabAt + n);
    slab.unsent.add(this.slabAt);
    // Eight-byte aligned, as a buffer of its own would be.
    this.slabAt += (n + 7) & ~7;
    return out;
  }

  /**
   * The socket is given `chunk`. When it is memory of a slab (a packet, or its first bytes:
   * what ssh2 writes of one), the callback to write it with: once every write of the slab is
   * done, the slab may be reused. Anything else: undefined.
   */
  sending(chunk: unknown): ((error?: Error | null) => void) | undefined {
    if (!(chunk instanceof Uint8Array)) return undefined;
    const slab = this.slabs.get(chunk.buffer);
    if (!slab) return undefined;
    slab.unsent.delete(chunk.byteOffset - slab.memory.byteOffset);
    slab.writing++;
    return slab.written;
  }

  /** Slabs not given back yet (this connection's, in use or waiting for writes). */
  get slabsHeld(): number {
    return this.slabs.size;
  }

  /**
   * The socket has closed: every write is done or failed, and packets still queued are never
   * written. The slabs go back to the pool, the current one too (a connection that sent a few
   * kilobytes would otherwise keep a megabyte from reuse until the garbage collector runs).
   */
  closed(): void {
    const held = [...this.slabs.values()];
    this.slabs.clear();
    this.slab = undefined;
    for (const slab of held) this.pool?.give(slab.memory);
  }

  private reuseIfDone(slab: Slab): void {
    if (!slab.full || slab.writing > 0 || slab.unsent.size > 0) return;
    // Once only: a write's callback after closed() finds its slab gone (and maybe reused elsewhere).
    if (this.slabs.get(slab.memory.buffer) !== slab) return;
    this.slabs.delete(slab.memory.buffer);
    this.pool?.give(slab.memory);
  }

  /**
   * Copy `n` fresh random bytes into `into` at `at`. The first fill is small (a confirmation's
   * connection sends a few dozen packets: 64 KiB of random bytes for each of a deploy's 40
   * connections showed in its profile), the next ones fill the whole pool.
   */
  randomInto(into: Buffer, at: number, n: number): void {
    let random = this.random;
    if (!random || this.randomAt + n > this.randomEnd) {
      random = this.random ??= Buffer.allocUnsafeSlow(randomPoolBytes);
      this.randomEnd = this.randomEnd === 0 ? firstRandomBytes : randomPoolBytes;
      randomFillSync(random, 0, this.randomEnd);
      this.randomAt = 0;
    }
    // A few bytes: a loop costs less than Buffer.copy's call.
    for (let i = 0; i < n; i++) into[at + i] = random[this.randomAt + i]!;
    this.randomAt += n;
  }
}

/** The packet ssh2's cipher would allocate for `payloadLen` bytes of payload, from `memory`. */
function allocFor(layout: { readonly block: number; readonly tag: number }, memory: PacketMemory, payloadLen: number): Buffer {
  const { block, tag } = layout;
  let packetLen = 4 + 1 + payloadLen;
  // AEAD: the length field is not encrypted, so it is not part of the padded blocks.
  let padLen = block - ((packetLen - 4) & (block - 1));
  if (padLen < 4) padLen += block;
  packetLen += padLen;
  const packet = memory.take(packetLen + tag);
  packet.writeUInt32BE(packetLen - 4, 0);
  packet[4] = padLen;
  memory.randomInto(packet, 5 + payloadLen, padLen);
  return packet;
}

/** Does `mine` lay out packets as `theirs` does (length, padding length, size), for payloads of every length modulo the block and a full 32 KiB? */
function sameLayout(theirs: (n: number) => Buffer, mine: (n: number) => Buffer): boolean {
  for (const n of [...Array.from({ length: 17 }, (_, i) => i), 32_768 - 9, 32_768]) {
    const a = theirs(n);
    const b = mine(n);
    if (a.length !== b.length || a.readUInt32BE(0) !== b.readUInt32BE(0) || a[4] !== b[4]) return false;
  }
  return true;
}

/** Give `cipher` (an ssh2 outbound cipher) the cheaper allocPacket, when it is one handled here and lays packets out as expected. Returns whether it did. */
export function cheaperPackets(cipher: unknown, memory = new PacketMemory()): boolean {
  const c = cipher as SshCipher | undefined;
  const layout = c && typeof c.allocPacket === 'function' ? layouts[c.constructor?.name] : undefined;
  if (!c || !layout) return false;
  const theirs = c.allocPacket.bind(c);
  // Checked on memory of its own: packets cut and never sent would keep a slab from reuse.
  const probe = new PacketMemory();
  if (!sameLayout(theirs, (n) => allocFor(layout, probe, n))) return false;
  const mine = (n: number) => allocFor(layout, memory, n);
  c.allocPacket = mine;
  return true;
}

/**
 * Keep every outbound cipher an ssh2 protocol object gets (at each key exchange) on the
 * cheaper packets. `protocol` is ssh2's Client._protocol; nothing happens if it has no `_cipher`.
 * With `reuse` (the caller hands every socket write to PacketMemory.sending and calls closed()
 * when the socket closes), packets are cut from slabs that are reused; else each is a buffer of its own.
 */
export function cheaperPacketsFor(protocol: unknown, reuse: boolean): PacketMemory | undefined {
  const p = protocol as { _cipher?: unknown } | undefined;
  if (!p || !('_cipher' in p)) return undefined;
  const memory = new PacketMemory(reuse ? packetSlabs : undefined);
  let current = p._cipher;
  cheaperPackets(current, memory);
  Object.defineProperty(p, '_cipher', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (next: unknown) => {
      current = next;
      cheaperPackets(next, memory);
    },
  });
  return memory;
}
