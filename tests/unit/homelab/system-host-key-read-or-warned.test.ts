import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readSystemHostKey } from '../../../src-main/core/homelab/host-key';

function systemFolder(content: string): { root: string; folder: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-unit-hostkey-'));
  const folder = path.join(root, 'systems/box');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'ssh_host_ed25519_key.pub'), content);
  return { root, folder };
}

describe('a system\'s recorded host key in the inventory', () => {
  it('reads an ed25519 key with the fingerprint and age recipient ssh-keygen and age-keygen agree on', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-unit-hostkey-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'root@box', '-f', path.join(dir, 'k')]);
    const line = fs.readFileSync(path.join(dir, 'k.pub'), 'utf8');
    const { root, folder } = systemFolder(line);
    const read = readSystemHostKey(root, folder, 'systems/box', 'system:box');
    expect(read.warnings).toEqual([]);
    expect(read.hostKey?.publicKey).toBe(line.split(' ').slice(0, 2).join(' '));
    expect(read.hostKey?.fingerprint).toBe(execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'k.pub')], { encoding: 'utf8' }).split(' ')[1]);
    expect(read.hostKey?.ageRecipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(read.hostKey?.file).toBe('systems/box/ssh_host_ed25519_key.pub');
  });

  it('warns, and shows no key, for a file that is not one (an RSA key, a truncated blob, garbage)', () => {
    for (const content of ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ root@box\n', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 root@box\n', '\0\0\0 not a key']) {
      const { root, folder } = systemFolder(content);
      const read = readSystemHostKey(root, folder, 'systems/box', 'system:box');
      expect(read.hostKey).toBeUndefined();
      expect(read.warnings[0]?.message).toMatch(/^systems\/box\/ssh_host_ed25519_key\.pub is not one ssh-ed25519 public key/);
    }
  });
});
