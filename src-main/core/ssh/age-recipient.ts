import { ed25519 } from '@noble/curves/ed25519.js';
import { bech32 } from '@scure/base';
import { FleetError } from '../contract';

/**
 * The age recipient of a host's ed25519 SSH key, derived as ssh-to-age does: the key's
 * Edwards point converted to its Curve25519 (Montgomery) u-coordinate, bech32-encoded
 * with the "age" prefix. What .sops.yaml lists so the host can decrypt its secrets.
 */
export function ageRecipientOf(publicKeyLine: string): string {
  const [type, b64] = publicKeyLine.trim().split(/\s+/);
  if (type !== 'ssh-ed25519' || !b64) throw new FleetError('invalid-input', 'Only ssh-ed25519 host keys have an age recipient (ssh-to-age converts ed25519 keys only).');
  const blob = Buffer.from(b64, 'base64');
  // The SSH wire format: string "ssh-ed25519", then string <32 key bytes> (51 bytes in all).
  const malformed = new FleetError('invalid-input', 'That is not a well-formed ssh-ed25519 public key.');
  if (blob.length !== 51) throw malformed;
  const nameLength = blob.readUInt32BE(0);
  const keyOffset = 4 + nameLength;
  if (nameLength !== 11) throw malformed;
  const keyLength = blob.readUInt32BE(keyOffset);
  if (blob.subarray(4, keyOffset).toString('latin1') !== 'ssh-ed25519' || keyLength !== 32) throw malformed;
  const montgomery = ed25519.utils.toMontgomery(blob.subarray(keyOffset + 4, keyOffset + 4 + 32));
  return bech32.encodeFromBytes('age', montgomery);
}
