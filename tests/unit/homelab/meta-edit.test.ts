import { describe, expect, it } from 'vitest';
import { setTopLevelKey } from '../../../src-main/core/homelab/meta-edit';

describe('editing meta.json in place', () => {
  const file = `{
    "system": "x86_64-linux",
    "facter": { "keep":   "this spacing" },
    "notes": "a, b: c"
}
`;

  it('adds a key at the end, in the file\'s indentation, touching nothing else', () => {
    const out = setTopLevelKey(file, 'deploy', { host: 'moon.lan', tags: ['a,b'] });
    expect(out).toBe(`{
    "system": "x86_64-linux",
    "facter": { "keep":   "this spacing" },
    "notes": "a, b: c",
    "deploy": {
        "host": "moon.lan",
        "tags": [
            "a,b"
        ]
    }
}
`);
    expect(JSON.parse(out)).toMatchObject({ deploy: { host: 'moon.lan' } });
  });

  it('replaces an existing key in place, keeping the order of keys', () => {
    const withDeploy = setTopLevelKey(file, 'deploy', { host: 'a' });
    const out = setTopLevelKey(withDeploy.replace('"deploy"', '"deploy"'), 'system', 'aarch64-linux');
    expect(Object.keys(JSON.parse(out))).toEqual(['system', 'facter', 'notes', 'deploy']);
    expect(out).toContain('"facter": { "keep":   "this spacing" }');
    expect(out.startsWith('{\n    "system": "aarch64-linux",\n')).toBe(true);
  });

  it('removes a key with its comma, wherever it is', () => {
    expect(setTopLevelKey(file, 'notes', undefined)).toBe(`{
    "system": "x86_64-linux",
    "facter": { "keep":   "this spacing" }
}
`);
    expect(setTopLevelKey(file, 'system', undefined)).toBe(`{
    "facter": { "keep":   "this spacing" },
    "notes": "a, b: c"
}
`);
    expect(JSON.parse(setTopLevelKey('{"only": 1}', 'only', undefined))).toEqual({});
  });

  it('keeps a one-line file on one line', () => {
    expect(setTopLevelKey('{"system": "x86_64-linux"}\n', 'deploy', { port: 22 })).toBe('{"system": "x86_64-linux", "deploy": {"port":22}}\n');
  });

  it('fills an empty object', () => {
    expect(setTopLevelKey('{}', 'deploy', { host: 'h' })).toBe('{\n  "deploy": {\n    "host": "h"\n  }\n}');
  });

  it('does not mistake a nested "deploy" for the top-level key', () => {
    const nested = '{\n  "other": { "deploy": 1 },\n  "deploy": { "host": "x" }\n}\n';
    const out = setTopLevelKey(nested, 'deploy', { host: 'y' });
    expect(JSON.parse(out)).toEqual({ other: { deploy: 1 }, deploy: { host: 'y' } });
  });

  it('refuses text that is not a JSON object', () => {
    expect(() => setTopLevelKey('[1]', 'deploy', {})).toThrow(/not a JSON object/);
    expect(() => setTopLevelKey('{"a": }', 'deploy', {})).toThrow();
  });
});
