import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { narHashForFingerprint, parseSigningKey, pathFingerprint, readSigningKey, signPath, toNix32 } from '../../../src-main/core/nix/path-signature';
import { parsePathInfoJson } from '../../../src-main/core/nix/path-info';

// A test key made from a fixed seed, in nix's secret key format (name:base64(seed, public key)).
const seed = createHash('sha256').update('homelab fleet unit test key').digest();
const keyText = `fleet-unit-test-1:${Buffer.concat([seed, Buffer.from(ed25519.getPublicKey(seed))]).toString('base64')}`;

// `nix path-info --json -r` (Nix 2.8) of a builtins.toFile path with two references, and the
// signature `nix store sign --key-file <that key>` gave it (recorded; the integration test
// tests/integration/path-signatures-match-nix-store-sign.test.ts compares live, on 2.8 and 2.34).
const recorded = JSON.stringify([
  {
    path: '/nix/store/91ly2sb3bspl89mc8gayz2w4kdaa6pai-b-bhpush',
    narHash: 'sha256-eDZi+VrqJFNtdiocbIY7oTFtfPtXAnpte5geSab81ws=',
    narSize: 224,
    // Not in nix's order: the fingerprint sorts them.
    references: ['/nix/store/cnspb40n245y8q3yyvkwwqh6wj497yli-a-bhpush', '/nix/store/9b69sy7jamchrb3qcrhnh39lm47ina8a-c-bhpush'],
    ca: 'text:sha256:06436cc6pv313ymcg6hr2xzfpam8zkcp857fxlzsplqvq1yr2hiy',
  },
]);
const nixSignature = 'fleet-unit-test-1:0jy6hO16jo8EkQwPgCUn7kIxRpqO2gFN1dttuIEoX1KaAAx11jgJ1KZRHsHmTo0TsHrtMVoOHDor+LhglVUdAw==';

describe('store path signatures made here', () => {
  const info = parsePathInfoJson(recorded).get('/nix/store/91ly2sb3bspl89mc8gayz2w4kdaa6pai-b-bhpush')!;

  it('fingerprint: nix32 NAR hash, size, references sorted', () => {
    expect(pathFingerprint(info)).toBe(
      '1;/nix/store/91ly2sb3bspl89mc8gayz2w4kdaa6pai-b-bhpush;sha256:02ypzjk4j7lqgdnpl0jpzdy6scd17f36q71afrnm697abbwn4dkq;224;/nix/store/9b69sy7jamchrb3qcrhnh39lm47ina8a-c-bhpush,/nix/store/cnspb40n245y8q3yyvkwwqh6wj497yli-a-bhpush',
    );
  });

  it('signs exactly as nix store sign did', () => {
    const key = parseSigningKey(keyText, 'test key');
    expect(signPath(info, key)).toBe(nixSignature);
    // What `nix key convert-secret-to-public` prints for it.
    expect(key.publicKey).toBe('fleet-unit-test-1:LLdp0f4cyLse0MlndSOLvyyuDbg+l8jGY6mGxoDg1ok=');
  });

  it('reads every form of NAR hash nix prints (SRI, nix32, base16) as nix32', () => {
    const nix32 = 'sha256:02ypzjk4j7lqgdnpl0jpzdy6scd17f36q71afrnm697abbwn4dkq';
    const bytes = Buffer.from('eDZi+VrqJFNtdiocbIY7oTFtfPtXAnpte5geSab81ws=', 'base64');
    expect(narHashForFingerprint('sha256-eDZi+VrqJFNtdiocbIY7oTFtfPtXAnpte5geSab81ws=')).toBe(nix32);
    expect(narHashForFingerprint(nix32)).toBe(nix32);
    expect(narHashForFingerprint(`sha256:${bytes.toString('hex')}`)).toBe(nix32);
    expect(toNix32(new Uint8Array(20))).toBe('0'.repeat(32));
    expect(() => narHashForFingerprint('md5:abc')).toThrow(/not a sha256 NAR hash/);
  });

  it('refuses a path without NAR hash or size', () => {
    expect(() => pathFingerprint({ path: info.path, references: [] })).toThrow(/cannot be signed/);
  });

  it('refuses malformed keys without printing any of the key', () => {
    const secretPart = keyText.slice(keyText.indexOf(':') + 1);
    const cases = [
      secretPart, // no name
      `name:${secretPart.slice(0, 40)}`, // too short
      `name:${Buffer.concat([seed, Buffer.alloc(32)]).toString('base64')}`, // public half does not match
      'name:not base64!',
    ];
    for (const text of cases) {
      let message = '';
      try {
        parseSigningKey(text, '/keys/cache-secret');
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe('/keys/cache-secret is not a nix secret signing key (name:base64 of 64 bytes).');
    }
    const missing = path.join(os.tmpdir(), `fleet-no-such-key-${process.pid}`);
    expect(() => readSigningKey(missing)).toThrow(/cannot be read \(ENOENT\)/);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-key-')), 'secret');
    fs.writeFileSync(file, `${keyText}\n`, { mode: 0o600 });
    try {
      expect(readSigningKey(file).name).toBe('fleet-unit-test-1');
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true });
    }
  });
});
