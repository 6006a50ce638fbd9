import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bech32 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { ageRecipientOf } from '../../../src-main/core/ssh/age-recipient';

/** The 32-byte seed of an unencrypted OpenSSH ed25519 private key file. */
function seedOf(privateKeyFile: string): Uint8Array {
  const body = fs.readFileSync(privateKeyFile, 'utf8').split('\n').filter((l) => !l.startsWith('-----')).join('');
  const blob = Buffer.from(body, 'base64');
  // The private section ends with: string "ssh-ed25519", string pub(32), string priv(64 = seed || pub), comment, padding.
  const marker = Buffer.from([0, 0, 0, 64]);
  const at = blob.lastIndexOf(marker);
  return blob.subarray(at + 4, at + 4 + 32);
}

describe('age recipient of an SSH host key (as ssh-to-age derives it)', () => {
  it('equals what age-keygen -y (Debian age) derives from the same key converted to an age identity', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-unit-age-'));
    for (let i = 0; i < 3; i++) {
      const key = path.join(dir, `key${i}`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
      // The identity side, as ssh-to-age -private-key does: the X25519 scalar of the ed25519 seed.
      const identity = bech32.encodeFromBytes('age-secret-key-', ed25519.utils.toMontgomerySecret(seedOf(key))).toUpperCase();
      const fromAge = execFileSync('age-keygen', ['-y'], { input: `${identity}\n`, encoding: 'utf8' }).trim();
      expect(ageRecipientOf(fs.readFileSync(`${key}.pub`, 'utf8'))).toBe(fromAge);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses keys that are not ed25519', () => {
    expect(() => ageRecipientOf('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ root@x')).toThrow(/ed25519/);
  });
});
