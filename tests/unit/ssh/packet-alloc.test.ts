import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cheaperPackets, cheaperPacketsFor } from '../../../src-main/core/ssh/packet-alloc';

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
    cheaperPacketsFor(protocol);
    expect((protocol._cipher as { allocPacket: { name: string } }).allocPacket.name).not.toBe('mine');
    const { cipher } = pair(forceNative);
    protocol._cipher = cipher;
    expect(protocol._cipher).toBe(cipher);
    expect(cipher.allocPacket.name).toBe('mine');
    expect(cheaperPackets({ allocPacket: () => Buffer.alloc(3), constructor: { name: 'AESGCMCipherBinding' } })).toBe(false);
  });
});
