import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { signingOnce } from '../../../src-main/core/ssh/auth';

const { utils } = ssh2;

/** Keys made by ssh-keygen, parsed by ssh2 as a connection does. */
function keyOf(type: string): ssh2.ParsedKey {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-auth-keys-'));
  try {
    const file = path.join(dir, 'id');
    const made = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const parsed = utils.parseKey(fs.readFileSync(file));
    if (parsed instanceof Error) throw parsed;
    return Array.isArray(parsed) ? parsed[0]! : parsed;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('an Ed25519 key signs with a key object made once (signingOnce)', () => {
  it("gives ssh2's own signature, which the public key verifies, and is still ssh2's key otherwise", () => {
    const key = keyOf('ed25519');
    const faster = signingOnce(key)!;
    expect(faster).not.toBe(key);
    const data = Buffer.from('session id and userauth request');
    const signature = faster.sign(data);
    expect(Buffer.isBuffer(signature)).toBe(true);
    expect(signature.equals(key.sign(data))).toBe(true);
    expect(key.verify(data, signature)).toBe(true);
    expect(faster.getPublicSSH().equals(key.getPublicSSH())).toBe(true);
    expect(faster.type).toBe('ssh-ed25519');
    // ssh2 accepts it where it takes a parsed key.
    expect(utils.parseKey(faster as never)).toBe(faster);
  });

  it('leaves other key types to ssh2', () => {
    const key = keyOf('ecdsa');
    expect(signingOnce(key)).toBe(key);
  });
});
