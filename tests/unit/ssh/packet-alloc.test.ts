import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cheaperPackets, cheaperPacketsFor, PacketMemory } from '../../../src-main/core/ssh/packet-alloc';
import { BufferPool } from '../../../src-main/core/buffer-pool';

/**
 * The cheaper packets are ssh2's own packets: the same layout as ssh2's allocPacket, random
 * padding, and what ssh2's cipher encrypts in them is decrypted by ssh2's decipher to the
 * payload that was written, for ssh2's AES-GCM with and without its native binding.
 */
interface Crypto {
  CIPHER_INFO: Record<string, unknown>;
  bindingAvailable: boolean;
  createCipher(config: unknown): { allocPacket(n: number): Buffer; encrypt(packet: Buffer): void; constructor: { name: string } };
  createDecipher(config: unknown): { decrypt(data: Buffer, p: number, len: number): unknown };
}
const sshCrypto = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as Crypto;

function pair(forceNative: boolean) {
  const info = sshCrypto.CIPHER_INFO['aes128-gcm@openssh.com'];
  const key = randomBytes(16);
  const iv = randomBytes(12);
  // Copies each: ssh2's JavaScript AES-GCM counts its IV up in place.
  const wire: Buffer[] = [];
  const payloads: Buffer[] = [];
  const cipher = sshCrypto.createCipher({ outbound: { onWrite: (b: Buffer) => wire.push(Buffer.from(b)), cipherInfo: info, cipherKey: Buffer.from(key), cipherIV: Buffer.from(iv), seqno: 0, forceNative } });
  const decipher = sshCrypto.createDecipher({ inbound: { onPayload: (p: Buffer) => void payloads.push(Buffer.from(p)), decipherInfo: info, decipherKey: Buffer.from(key), decipherIV: Buffer.from(iv), seqno: 0, forceNative } });
  return { cipher, decipher, wire, payloads };
}

const variants = [false, true].filter((native) => native || sshCrypto.bindingAvailable);

describe.each(variants)('cheaper SSH packets (ssh2 AES-GCM, forceNative %s)', (forceNative) => {
  it('lays packets out as ssh2 does, with random padding, and they decrypt to what was written', () => {
    const { cipher, decipher, wire, payloads } = pair(forceNative);
    const theirs = cipher.allocPacket.bind(cipher);
    expect(cheaperPackets(cipher)).toBe(true);
    const sent: Buffer[] = [];
    for (const n of [0, 1, 5, 11, 12, 15, 16, 17, 100, 4096, 32_759, 32_768]) {
      const a = theirs(n);
      const b = cipher.allocPacket(n);
      expect([b.length, b.readUInt32BE(0), b[4]]).toEqual([a.length, a.readUInt32BE(0), a[4]]);
      const payload = randomBytes(n);
      payload.copy(b, 5);
      sent.push(payload);
      cipher.encrypt(b);
    }
    const all = Buffer.concat(wire);
    decipher.decrypt(all, 0, all.length);
    expect(payloads.map((p) => p.toString('hex'))).toEqual(sent.map((p) => p.toString('hex')));
    // The padding of two packets of the same size: random, not zeros or a repeat.
    const [x, y] = [cipher.allocPacket(1), cipher.allocPacket(1)];
    const pad = (p: Buffer) => p.subarray(6, 6 + p[4]!).toString('hex');
    expect(pad(x)).not.toBe(pad(y));
    expect(/^(00)+$/.test(pad(x))).toBe(false);
  });

  it('every cipher a key exchange installs gets them; anything else is left alone', () => {
    const protocol = { _cipher: { allocPacket: () => Buffer.alloc(0), constructor: { name: 'NullCipher' } } as unknown };
    cheaperPacketsFor(protocol, false);
    expect((protocol._cipher as { allocPacket: { name: string } }).allocPacket.name).not.toBe('mine');
    const { cipher } = pair(forceNative);
    protocol._cipher = cipher;
    expect(protocol._cipher).toBe(cipher);
    expect(cipher.allocPacket.name).toBe('mine');
    expect(cheaperPackets({ allocPacket: () => Buffer.alloc(3), constructor: { name: 'AESGCMCipherBinding' } })).toBe(false);
  });
});

describe('packet memory reused once written (PacketMemory)', () => {
  // Slabs of 4 KiB: four packets of 1000 bytes each.
  const packets = (memory: PacketMemory, n: number) => Array.from({ length: n }, () => memory.take(1000));

  it('a slab is reused only when it is full, every packet of it was handed to the socket and every write is done', () => {
    const pool = new BufferPool(4096, 8);
    const memory = new PacketMemory(pool);
    const first = packets(memory, 4);
    const done = first.slice(0, 3).map((p) => memory.sending(p)!);
    expect(done.every((d) => typeof d === 'function')).toBe(true);
    packets(memory, 1); // the next slab: the first is full now
    done.forEach((d) => d());
    // One packet of the first slab not yet handed to the socket (ssh2 queues packets during a key exchange).
    expect(pool.kept).toBe(0);
    const last = memory.sending(first[3]!)!;
    expect(pool.kept).toBe(0); // written, not yet done
    last();
    expect(pool.kept).toBe(1);
    // The next slab needed is the first one again.
    packets(memory, 3);
    expect(packets(memory, 1)[0]!.buffer).toBe(first[0]!.buffer);
  });

  it('what ssh2 writes of a packet without its binding (the first four bytes) counts as the packet', () => {
    const pool = new BufferPool(4096, 8);
    const memory = new PacketMemory(pool);
    const all = packets(memory, 4);
    packets(memory, 1);
    all.forEach((p) => memory.sending(p.subarray(0, 4))!());
    expect(pool.kept).toBe(1);
  });

  it('anything else written is left alone; a closed socket gives every slab back, once', () => {
    const pool = new BufferPool(4096, 8);
    const memory = new PacketMemory(pool);
    expect(memory.sending(Buffer.alloc(100))).toBeUndefined();
    expect(memory.sending('text')).toBeUndefined();
    const first = packets(memory, 5);
    const late = memory.sending(first[0]!)!;
    memory.closed();
    expect(pool.kept).toBe(2);
    // A write's callback after the close (its slab may be another connection's by now) gives nothing back again.
    const other = pool.take();
    late();
    expect(pool.kept).toBe(1);
    expect(memory.slabsHeld).toBe(0);
    pool.give(other);
  });

  it('without a pool every packet is allocated as ssh2 does, and nothing is held', () => {
    const memory = new PacketMemory(undefined);
    const [a, b] = packets(memory, 2);
    expect(memory.sending(a!)).toBeUndefined();
    expect(memory.sending(b!)).toBeUndefined();
    expect(memory.slabsHeld).toBe(0);
  });

  it('slabs whose writes never come back are forgotten, not held without bound', () => {
    const memory = new PacketMemory(new BufferPool(4096, 8));
    for (let i = 0; i < 400; i++) packets(memory, 4);
    expect(memory.slabsHeld).toBeLessThanOrEqual(33);
  });
});

describe('the padding of many packets', () => {
  it('stays random past the first small fill of the pool and its refills', () => {
    const memory = new PacketMemory();
    const pads = new Set<string>();
    // ~12 KiB of padding: the first 2 KiB fill and several of the next.
    for (let i = 0; i < 1500; i++) {
      const p = memory.take(24);
      memory.randomInto(p, 8, 8);
      pads.add(p.subarray(8, 16).toString('hex'));
    }
    expect(pads.size).toBeGreaterThan(1490);
  });
});
