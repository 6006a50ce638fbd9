import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  fingerprintSha256,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  patternsMatch,
  readKnownHosts,
  verifyHostKey,
} from '../../../src-main/core/ssh/known-hosts';

/** An ed25519 public key in SSH wire format, as a host presents it. */
function hostKey(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}

function hashed(name: string): string {
  const salt = Buffer.from('0123456789abcdefghij');
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  const key = hostKey();
  const other = hostKey();
  const line = (patterns: string, k: Buffer) => `${patterns} ssh-ed25519 ${k.toString('base64')}`;

  it('knows a key listed under the alias or the address, plain or hashed', () => {
    for (const patterns of ['zephyrus,10.233.0.2', '10.233.0.2', hashed('zephyrus'), 'zeph*']) {
      const entries = parseKnownHosts(line(patterns, key), 'kh');
      expect(verifyHostKey(entries, ['zephyrus', '10.233.0.2'], key).kind).toBe('known');
    }
  });

  it('says unknown when nothing matches the name', () => {
    const entries = parseKnownHosts(line('moonlight', key), 'kh');
    expect(verifyHostKey(entries, ['zephyrus'], key)).toEqual({ kind: 'unknown' });
  });

  it('says CHANGED when the same key type is listed with another key, naming file, line and old fingerprint', () => {
    const entries = parseKnownHosts(`# comment\n${line('zephyrus', other)}\n`, '/home/me/.ssh/known_hosts');
    const verdict = verifyHostKey(entries, ['zephyrus'], key);
    expect(verdict).toEqual({ kind: 'changed', file: '/home/me/.ssh/known_hosts', line: 2, knownFingerprint: fingerprintSha256(other) });
  });

  it('refuses @revoked keys and honours negated patterns', () => {
    expect(verifyHostKey(parseKnownHosts(`@revoked * ssh-ed25519 ${key.toString('base64')}`, 'kh'), ['x'], key).kind).toBe('revoked');
    expect(patternsMatch('*.lan,!secret.lan', 'secret.lan')).toBe(false);
    expect(patternsMatch('*.lan,!secret.lan', 'moon.lan')).toBe(true);
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2222)).toBe('[h]:2222');
  });

  it('fingerprints like ssh-keygen and remembers accepted keys in the app file', () => {
    expect(fingerprintSha256(key)).toBe(`SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`);
    expect(keyTypeOf(key)).toBe('ssh-ed25519');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-kh-')), 'known_hosts');
    appendKnownHost(file, ['zephyrus', '10.233.0.2'], key);
    expect(verifyHostKey(readKnownHosts([file, '/nonexistent']), ['10.233.0.2'], key).kind).toBe('known');
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
