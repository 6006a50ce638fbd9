import { randomFillSync } from 'node:crypto';

/**
 * Cheaper SSH packets for ssh2's AES-GCM ciphers (what it negotiates with OpenSSH: aes128-gcm@openssh.com).
 *
 * For every packet it sends, ssh2 allocates a buffer of its own and fills the packet's 4-19
 * bytes of padding with a call of crypto.randomFillSync. Each call costs ~14 µs here: 130 ms
 * of the deployer's CPU per 300 MB copy (~9,400 packets of 32 KiB), a tenth of it, plus a
 * fresh allocation per packet for the garbage collector (node --cpu-prof, docs/BENCHMARKS.md,
 * issue 15). The same packets, laid out the same way, take their padding from a pool of
 * random bytes refilled 64 KiB at a time (each byte used once: OpenSSH's arc4random_buf
 * buffers its randomness likewise) and their memory from 1 MiB slabs, which the garbage
 * collector frees once every packet in them is gone.
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
const slabBytes = 1024 * 1024;

class PacketMemory {
  private readonly random = Buffer.allocUnsafeSlow(randomPoolBytes);
  private randomAt = randomPoolBytes;
  private slab = Buffer.allocUnsafeSlow(0);
  private slabAt = 0;

  /** `n` bytes for one packet: a part of the current slab (a new one when it is used up). */
  take(n: number): Buffer {
    if (this.slabAt + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(slabBytes, n));
      this.slabAt = 0;
    }
    const out = this.slab.subarray(this.slabAt, this.slabAt + n);
    // Eight-byte aligned, as a buffer of its own would be.
    this.slabAt += (n + 7) & ~7;
    return out;
  }

  /** Copy `n` fresh random bytes into `into` at `at`. */
  randomInto(into: Buffer, at: number, n: number): void {
    if (this.randomAt + n > randomPoolBytes) {
      randomFillSync(this.random);
      this.randomAt = 0;
    }
    // A few bytes: a loop costs less than Buffer.copy's call.
    const random = this.random;
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
  const mine = (n: number) => allocFor(layout, memory, n);
  if (!sameLayout(theirs, mine)) return false;
  c.allocPacket = mine;
  return true;
}

/**
 * Keep every outbound cipher an ssh2 protocol object gets (at each key exchange) on the
 * cheaper packets. `protocol` is ssh2's Client._protocol; nothing happens if it has no `_cipher`.
 */
export function cheaperPacketsFor(protocol: unknown): void {
  const p = protocol as { _cipher?: unknown } | undefined;
  if (!p || !('_cipher' in p)) return;
  const memory = new PacketMemory();
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
}
