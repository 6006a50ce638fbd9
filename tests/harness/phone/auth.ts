/**
 * ADB public-key authentication, device side (emulation of the "Allow USB debugging?" prompt).
 *
 * The adb server signs our 20-byte token with RSA PKCS#1 v1.5, treating the token as an
 * already computed SHA-1 digest (OpenSSL RSA_sign(NID_sha1, token, 20)). Its public key comes as
 * base64 of Android's own struct, little-endian:
 *   { u32 len (words); u32 n0inv; u32 n[len]; u32 rr[len]; u32 exponent }
 * followed by " user@host" and a NUL.
 */
import { createPublicKey, publicDecrypt, constants, type KeyObject } from 'node:crypto';

/** DER prefix of a SHA-1 DigestInfo; the decrypted signature is this followed by the token. */
const SHA1_DIGEST_INFO = Buffer.from('3021300906052b0e03021a05000414', 'hex');

/** Parses the RSAPUBLICKEY payload of an AUTH message into a Node public key. */
export function parseAndroidPublicKey(payload: Buffer): KeyObject {
  const text = payload.toString('latin1').replace(/\0+$/, '');
  const encoded = text.split(' ')[0] ?? '';
  const raw = Buffer.from(encoded, 'base64');
  if (raw.length < 12) throw new Error('adb public key too short');
  const words = raw.readUInt32LE(0);
  if (words <= 0 || words > 1024 || raw.length < 8 + words * 8 + 4) {
    throw new Error('adb public key has an invalid length field');
  }
  // n is stored least significant word first, each word little-endian: reverse the bytes.
  const modulus = Buffer.from(raw.subarray(8, 8 + words * 4)).reverse();
  const exponent = raw.readUInt32LE(8 + words * 8);
  const e = Buffer.alloc(4);
  e.writeUInt32BE(exponent, 0);
  const eTrimmed = e.subarray(e.findIndex((b) => b !== 0));
  return createPublicKey({
    key: { kty: 'RSA', n: modulus.toString('base64url'), e: eTrimmed.toString('base64url') },
    format: 'jwk',
  });
}

/** True when `signature` is the adb server's signature of `token` under `key`. */
export function verifyTokenSignature(key: KeyObject, token: Buffer, signature: Buffer): boolean {
  try {
    const decrypted = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return decrypted.equals(Buffer.concat([SHA1_DIGEST_INFO, token]));
  } catch {
    return false;
  }
}
