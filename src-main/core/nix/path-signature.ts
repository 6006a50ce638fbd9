/**
 * Signatures of store paths as nix makes them (`nix store sign`): an ed25519 signature of the
 * path's fingerprint, `1;<store path>;<NAR hash, sha256:nix32>;<NAR size>;<references, sorted,
 * comma-separated>`, written `<key name>:<base64>`. Computed here so a secret key never has to
 * leave this machine to sign what another machine's store holds (a build host's closure).
 */
import * as fs from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { FleetError } from '../contract';
import type { PathInfo } from './path-info';

/** A nix signing key, read from its secret key file. Never logged, never sent anywhere. */
export interface SigningKey {
  readonly name: string;
  /** The ed25519 seed (the first half of nix's 64-byte secret key). */
  readonly seed: Uint8Array;
  /** "name:base64(public key)", as hosts list it in trusted-public-keys. */
  readonly publicKey: string;
}

/**
 * Read a secret key file of `nix-store --generate-binary-cache-key` / `nix key generate-secret`:
 * `name:base64(64 bytes: seed, then public key)`. Errors name the file, never its contents.
 */
export function readSigningKey(file: string): SigningKey {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new FleetError('invalid-input', `The cache's signing key ${file} cannot be read (${(error as NodeJS.ErrnoException).code}).`, {
      hint: 'Make one with: nix-store --generate-binary-cache-key cache-name-1 secret-key public-key',
    });
  }
  return parseSigningKey(text, file);
}

/** A secret key file's text read as readSigningKey does; `file` names it in errors. */
export function parseSigningKey(text: string, file: string): SigningKey {
  const malformed = new FleetError('invalid-input', `${file} is not a nix secret signing key (name:base64 of 64 bytes).`);
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  if (colon <= 0) throw malformed;
  const name = trimmed.slice(0, colon);
  const encoded = trimmed.slice(colon + 1);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw malformed;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== 64) throw malformed;
  const seed = new Uint8Array(bytes.subarray(0, 32));
  const publicKey = ed25519.getPublicKey(seed);
  // The second half is the public key; a key whose halves disagree would sign with a key nobody trusts.
  if (!Buffer.from(publicKey).equals(bytes.subarray(32))) throw malformed;
  return { name, seed, publicKey: `${name}:${Buffer.from(publicKey).toString('base64')}` };
}

const nix32Alphabet = '0123456789abcdfghijklmnpqrsvwxyz';

/** Bytes in nix's base-32 (the store path hash alphabet, least significant bits last). */
export function toNix32(bytes: Uint8Array): string {
  const length = Math.ceil((bytes.length * 8) / 5);
  let out = '';
  for (let n = length - 1; n >= 0; n--) {
    const b = n * 5;
    const i = Math.floor(b / 8);
    const j = b % 8;
    const c = (bytes[i]! >> j) | (i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0);
    out += nix32Alphabet[c & 0x1f];
  }
  return out;
}

/**
 * A sha256 NAR hash as the fingerprint needs it (`sha256:<nix32>`), from any form `nix
 * path-info` prints: SRI (`sha256-<base64>`, 2.4+), `sha256:<nix32>` or `sha256:<base16>`.
 */
export function narHashForFingerprint(narHash: string): string {
  const sri = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(narHash);
  if (sri) return `sha256:${toNix32(Buffer.from(sri[1]!, 'base64'))}`;
  const prefixed = /^sha256:([0-9a-z]+)$/.exec(narHash);
  if (prefixed && prefixed[1]!.length === 52 && [...prefixed[1]!].every((ch) => nix32Alphabet.includes(ch))) return narHash;
  if (prefixed && /^[0-9a-f]{64}$/.test(prefixed[1]!)) return `sha256:${toNix32(Buffer.from(prefixed[1]!, 'hex'))}`;
  throw new FleetError('failed', `"${narHash}" is not a sha256 NAR hash nix prints.`);
}

/** The text nix signs for a store path (ValidPathInfo::fingerprint). */
export function pathFingerprint(info: Pick<PathInfo, 'path' | 'narHash' | 'narSize' | 'references'>): string {
  if (!info.narHash || !info.narSize) throw new FleetError('failed', `${info.path} has no NAR hash or size: it cannot be signed.`);
  // nix joins a std::set of the full paths: sorted byte-wise (store paths are ASCII).
  const references = [...new Set(info.references)].sort();
  return `1;${info.path};${narHashForFingerprint(info.narHash)};${info.narSize};${references.join(',')}`;
}

/** The signature `nix store sign` gives this path with this key: `name:base64(ed25519 signature)`. */
export function signPath(info: Pick<PathInfo, 'path' | 'narHash' | 'narSize' | 'references'>, key: SigningKey): string {
  const signature = ed25519.sign(new TextEncoder().encode(pathFingerprint(info)), key.seed);
  return `${key.name}:${Buffer.from(signature).toString('base64')}`;
}
