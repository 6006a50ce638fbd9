import { describe, expect, it } from 'vitest';
import { featuresOf } from '../../../src-main/core/nix/nix-info';
import { parsePathInfoJson, pathInfoArgs } from '../../../src-main/core/nix/path-info';

const a = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a-1';
const b = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b-2';

describe('nix path-info --json of every supported nix', () => {
  it('reads the array of nix 2.8 (and Lix)', () => {
    const map = parsePathInfoJson(JSON.stringify([
      { path: a, narHash: 'sha256:1abc', narSize: 10, closureSize: 30, references: [a, b], deriver: `${b}.drv`, signatures: ['k:s'] },
      { path: b, narHash: 'sha256:2abc', narSize: 20, references: [] },
      { path: '/nix/store/cccccccccccccccccccccccccccccccc-gone', valid: false },
    ]));
    expect([...map.keys()]).toEqual([a, b]);
    expect(map.get(a)).toMatchObject({ narSize: 10, closureSize: 30, references: [a, b], deriver: `${b}.drv`, signatures: ['k:s'] });
  });

  it('reads the object keyed by path of nix 2.19+ and --json-format 1, skipping invalid paths', () => {
    const map = parsePathInfoJson(JSON.stringify({ [a]: { narHash: 'sha256-x', narSize: 10, references: [b], ca: null, deriver: null }, [b]: null }));
    expect([...map.keys()]).toEqual([a]);
    expect(map.get(a)).toEqual({ path: a, narHash: 'sha256-x', narSize: 10, references: [b], signatures: [] });
  });

  it('reads --json-format 2: base names, structured hashes and signatures', () => {
    const map = parsePathInfoJson(JSON.stringify({
      version: 2,
      storeDir: '/nix/store',
      info: {
        [a.slice('/nix/store/'.length)]: {
          narHash: { algorithm: 'sha256', format: 'base64', hash: 'AAAA' },
          narSize: 10,
          references: [b.slice('/nix/store/'.length)],
          signatures: [{ keyName: 'cache-1', sig: 'xyz' }],
        },
      },
    }));
    expect(map.get(a)).toEqual({ path: a, narHash: 'sha256-AAAA', narSize: 10, references: [b], signatures: ['cache-1:xyz'] });
  });

  it('refuses output that is not path-info JSON', () => {
    expect(() => parsePathInfoJson('error: nope')).toThrow(/not JSON/);
    expect(() => parsePathInfoJson('42')).toThrow(/neither a list nor an object/);
  });

  it('asks nix 2.34+ for --json-format 1 and older ones for plain --json', () => {
    expect(pathInfoArgs([a], { recursive: true }, featuresOf('2.8.0', 'nix'))).toEqual(['path-info', '--json', '--recursive', a]);
    expect(pathInfoArgs([a], { closureSize: true, derivation: true }, featuresOf('2.34.8', 'nix'))).toEqual([
      'path-info', '--json', '--json-format', '1', '--closure-size', '--derivation', a,
    ]);
    expect(pathInfoArgs([a], {}, undefined)).toEqual(['path-info', '--json', a]);
  });
});
