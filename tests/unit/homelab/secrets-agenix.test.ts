import { describe, expect, it } from 'vitest';
import { scanInventory } from '../../../src-main/core/homelab/scan';
import { flakeNix, makeTree } from './tree';

const alice = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA+kTmIc3lcEYmmRg0o5pA7w6Vqi6sC03Bj0lla8/PL3 alice';
const moon = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFY7cSVBtkpbL/f3DTJvhdGphkVTfFrprX8+29LTtNXN root@moon';

describe('agenix secrets.nix', () => {
  it('lists secrets and recipients of a plain attribute set with let-bound keys, lists and ++', () => {
    const root = makeTree({
      'flake.nix': flakeNix,
      'secrets/secrets.nix': `# keys
let
  alice = "${alice}";
  moon = "${moon}";
  admins = [ alice ];
in
{
  "wifi.age".publicKeys = admins ++ [ moon ];
  "backup.age" = { publicKeys = [ alice ]; armor = true; };
  /* block comment */
}
`,
      'secrets/wifi.age': 'age-encryption.org/v1\n',
    });
    const secrets = scanInventory(root).secrets;
    expect(secrets.map((s) => [s.path, s.format, s.recipients])).toEqual([
      ['secrets/wifi.age', 'agenix', [alice, moon]],
      ['secrets/backup.age', 'agenix', [alice]],
    ]);
    expect(secrets[0]?.labels?.[moon]).toBe('moon');
    expect(secrets[0]?.warnings).toEqual([]);
    expect(secrets[1]?.warnings[0]?.message).toContain('does not exist yet');
  });

  it('says when secrets.nix cannot be read statically', () => {
    const root = makeTree({
      'flake.nix': flakeNix,
      'secrets.nix': 'let keys = import ./keys.nix; in builtins.mapAttrs (n: v: { publicKeys = keys.all; }) { "a.age" = 1; }\n',
    });
    const inv = scanInventory(root);
    expect(inv.secrets).toEqual([]);
    expect(inv.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('secrets.nix could not be read statically'));
  });

  it('refuses interpolation rather than guessing', () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'secrets.nix': 'let u = "x"; in { "${"${u}"}.age".publicKeys = [ ]; }\n' });
    expect(scanInventory(root).warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('string interpolation'));
  });
});
