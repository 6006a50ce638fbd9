import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostRecord, LabRecord } from './records.js';

/**
 * What an ssh client needs to reach the lab: an ssh_config fragment (one Host block per host)
 * and a known_hosts file with the hosts' real keys under their alias and their address.
 */

/** The host's current ed25519 public key line ("ssh-ed25519 AAAA... root@name"). */
export async function hostPublicKey(host: HostRecord): Promise<string> {
  return (await readFile(path.join(host.dir, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8')).trim();
}

/** SHA256 fingerprint of a public key line, as `ssh-keygen -l` and ssh print it ("SHA256:..."). */
export function fingerprintOf(publicKeyLine: string): string {
  const blob = publicKeyLine.split(/\s+/)[1] ?? '';
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** known_hosts line for a host: keyed by its ssh_config alias and its address. */
export function knownHostsLine(host: HostRecord, publicKeyLine: string): string {
  const [type, blob] = publicKeyLine.split(/\s+/);
  return `${host.name},${host.address} ${type ?? ''} ${blob ?? ''}`;
}

/** The ssh_config fragment of a lab. */
export function sshConfigText(lab: LabRecord): string {
  const blocks = lab.hosts.map((host) =>
    [
      `Host ${host.name}`,
      `  HostName ${host.address}`,
      '  User root',
      '  Port 22',
      `  IdentityFile ${lab.identityFile}`,
      '  IdentitiesOnly yes',
      // OpenSSH reads ~ from the passwd entry, not $HOME: name the lab's file so the keys are found.
      `  UserKnownHostsFile ${lab.knownHostsPath}`,
      '  StrictHostKeyChecking yes',
      '',
    ].join('\n'),
  );
  return [`# Homelab Fleet test lab (tests/harness), slot ${lab.slot}. Remove with: npm run lab -- down`, '', ...blocks].join('\n');
}

/** Write the lab's ssh_config and known_hosts (with the keys the hosts have now). */
export async function writeClientFiles(lab: LabRecord): Promise<void> {
  await writeFile(lab.sshConfigPath, sshConfigText(lab));
  const lines = await Promise.all(lab.hosts.map(async (host) => knownHostsLine(host, await hostPublicKey(host))));
  await writeFile(lab.knownHostsPath, `${lines.join('\n')}\n`);
}
