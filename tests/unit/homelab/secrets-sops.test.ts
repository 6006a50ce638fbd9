import { describe, expect, it } from 'vitest';
import { scanInventory } from '../../../src-main/core/homelab/scan';
import { parseSopsConfig } from '../../../src-main/core/homelab/sops-config';
import { readSopsMetadata } from '../../../src-main/core/homelab/sops-files';
import { flakeNix, makeTree, nixConfig } from './tree';

const ADMIN = 'age1admin0000000000000000000000000000000000000000000000000000';
const MOON = 'age1moon00000000000000000000000000000000000000000000000000000';
const SUN = 'age1sun000000000000000000000000000000000000000000000000000000';
const OLD = 'age1old000000000000000000000000000000000000000000000000000000';

const sopsYaml = `keys:
  - &admin ${ADMIN}
  - &moon ${MOON}
  - &sun ${SUN}
  - &pgp_bob 85D7 7543 B3D6 24B6 3CEA 9E6D BC17 301B 491B 3F21
creation_rules:
  - path_regex: secrets/common\\.yaml$
    key_groups:
      - age: [*admin, *moon, *sun]
  - path_regex: systems/moon/secrets\\.yaml$
    age: "${ADMIN},${MOON}"
  - path_regex: systems/gone/secrets\\.yaml$
    key_groups:
      - age: [*admin]
        pgp: [*pgp_bob]
`;

function encrypted(recipients: readonly string[], lastmodified = '2024-05-12T09:03:17Z', pgp: readonly string[] = []): string {
  return `password: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]
sops:
    kms: []
    age:
${recipients.map((r) => `        - recipient: ${r}\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            xyz\n            -----END AGE ENCRYPTED FILE-----`).join('\n')}
    pgp:
${pgp.map((fp) => `        - created_at: "2024-01-01T00:00:00Z"\n          enc: x\n          fp: ${fp}`).join('\n') || '        []'}
    lastmodified: "${lastmodified}"
    mac: ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]
    version: 3.8.1
`;
}

describe('.sops.yaml', () => {
  it('resolves anchors, key_groups and comma-separated recipients, keeping anchor names as labels', () => {
    const config = parseSopsConfig(sopsYaml, '.sops.yaml');
    expect(config.warnings).toEqual([]);
    expect(config.rules.map((r) => [r.pathRegex, r.recipients])).toEqual([
      ['secrets/common\\.yaml$', [ADMIN, MOON, SUN]],
      ['systems/moon/secrets\\.yaml$', [ADMIN, MOON]],
      ['systems/gone/secrets\\.yaml$', [ADMIN, '85D77543B3D624B63CEA9E6DBC17301B491B3F21']],
    ]);
    expect(config.labels[MOON]).toBe('moon');
    expect(config.labels['85D77543B3D624B63CEA9E6DBC17301B491B3F21']).toBe('pgp_bob');
  });

  it('reports a .sops.yaml that is not YAML, with the line', () => {
    const config = parseSopsConfig('creation_rules:\n  - path_regex: [unclosed\n', '.sops.yaml');
    expect(config.rules).toEqual([]);
    expect(config.warnings[0]?.message).toMatch(/\.sops\.yaml is not valid YAML \(line \d+\)/);
  });

  it('reports an invalid path_regex', () => {
    const config = parseSopsConfig('creation_rules:\n  - path_regex: "secrets/(["\n    age: age1x\n', '.sops.yaml');
    expect(config.warnings[0]?.message).toContain('is not a valid regular expression');
  });
});

describe('sops file metadata', () => {
  it('reads age and pgp recipients and lastmodified from YAML without decrypting', () => {
    const meta = readSopsMetadata(encrypted([ADMIN], '2024-02-02T00:00:00Z', ['85d7 7543 b3d6 24b6 3cea 9e6d bc17 301b 491b 3f21']), 'x.yaml');
    expect(meta).toEqual({ recipients: [ADMIN, '85D77543B3D624B63CEA9E6DBC17301B491B3F21'], lastModified: '2024-02-02T00:00:00Z' });
  });

  it('reads JSON and dotenv sops files', () => {
    const json = JSON.stringify({ a: 'ENC[...]', sops: { age: [{ recipient: MOON, enc: 'x' }], lastmodified: '2024-03-03T00:00:00Z' } });
    expect(readSopsMetadata(json, 'x.json')).toEqual({ recipients: [MOON], lastModified: '2024-03-03T00:00:00Z' });
    const env = `A=ENC[x]\nsops_age__list_0__map_recipient=${SUN}\nsops_lastmodified=2024-04-04T00:00:00Z\n`;
    expect(readSopsMetadata(env, 'x.env')).toEqual({ recipients: [SUN], lastModified: '2024-04-04T00:00:00Z' });
  });

  it('says a plain file is not sops-encrypted', () => {
    expect(readSopsMetadata('password: hunter2\n', 'x.yaml')).toBeUndefined();
  });
});

describe('secrets status of a checkout', () => {
  const root = makeTree({
    'flake.nix': flakeNix,
    '.sops.yaml': sopsYaml,
    'systems/moon/default.nix': nixConfig,
    'systems/moon/secrets.yaml': encrypted([ADMIN, OLD]),
    'systems/sun/default.nix': nixConfig,
    'systems/sun/secrets.yaml': encrypted([ADMIN]),
    'secrets/common.yaml': encrypted([ADMIN, MOON, SUN]),
    'secrets/plain.yaml': 'password: hunter2\n',
  });
  const inv = scanInventory(root);
  const file = (p: string) => inv.secrets.find((s) => s.path === p);

  it('matches each file to the first rule whose path_regex matches', () => {
    expect(file('secrets/common.yaml')).toMatchObject({ rule: 'secrets/common\\.yaml$', missingRecipients: [], extraRecipients: [], warnings: [] });
    expect(file('secrets/common.yaml')?.labels?.[SUN]).toBe('sun');
  });

  it('lists recipients missing from a file and recipients the rule no longer lists', () => {
    const moon = file('systems/moon/secrets.yaml');
    expect(moon?.missingRecipients).toEqual([MOON]);
    expect(moon?.extraRecipients).toEqual([OLD]);
    expect(moon?.warnings.map((w) => w.message).join('\n')).toContain('sops updatekeys systems/moon/secrets.yaml');
    expect(moon?.lastModified).toBe('2024-05-12T09:03:17Z');
  });

  it('flags an encrypted file no rule matches', () => {
    expect(file('systems/sun/secrets.yaml')?.rule).toBeUndefined();
    expect(file('systems/sun/secrets.yaml')?.warnings[0]?.message).toContain('No .sops.yaml creation rule matches');
  });

  it('ignores plain files no rule covers, and lists rules that match no file', () => {
    expect(file('secrets/plain.yaml')).toBeUndefined();
    expect(inv.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('rule 3 (path_regex systems/gone/secrets\\.yaml$) matches no secrets file'));
  });

  it('flags a file a rule covers that is not encrypted', () => {
    const r = makeTree({ 'flake.nix': flakeNix, '.sops.yaml': `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${ADMIN}\n`, 'secrets/oops.yaml': 'password: hunter2\n' });
    const oops = scanInventory(r).secrets.find((s) => s.path === 'secrets/oops.yaml');
    expect(oops?.warnings[0]).toMatchObject({ severity: 'error', message: expect.stringContaining('is not sops-encrypted') });
  });

  it('keeps scanning when .sops.yaml is not YAML', () => {
    const r = makeTree({ 'flake.nix': flakeNix, '.sops.yaml': 'keys: [\n', 'systems/a/default.nix': nixConfig, 'secrets/x.yaml': encrypted([ADMIN]) });
    const result = scanInventory(r);
    expect(result.systems.map((s) => s.name)).toEqual(['a']);
    expect(result.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('.sops.yaml is not valid YAML'));
    expect(result.secrets[0]?.path).toBe('secrets/x.yaml');
  });
});
