import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { execInHost, hostProgram, netnsPids, processName, waitForPort, writeHostFile } from './host.js';
import { sshdConfig } from './layout.js';
import type { HostRecord } from './records.js';
import { sleep } from './run.js';

/** A host's sshd: crash it, start it, restart it, give it a new host key. */

/** PID of the listening sshd of a host, or null when it is not running. */
export async function sshdMasterPid(host: HostRecord): Promise<number | null> {
  const text = await readFile(path.join(host.dir, 'run/sshd.pid'), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return pid > 0 && (await processName(pid)) === 'sshd' ? pid : null;
}

/** Kill sshd like a crash would: the listening daemon and every open session; new connections are refused. */
export async function killSshd(host: HostRecord): Promise<void> {
  for (const pid of await netnsPids(host.netns)) {
    // OpenSSH 10 names its per-connection processes sshd-session and sshd-auth.
    const name = await processName(pid);
    if (name === 'sshd' || name?.startsWith('sshd-')) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await rm(path.join(host.dir, 'run/sshd.pid'), { force: true });
}

/** Start the host's sshd (after killSshd, or to pick up a changed host key or listen address). */
export async function startSshd(host: HostRecord): Promise<void> {
  const result = await execInHost(host, hostProgram(host, ['/usr/sbin/sshd', '-f', '/etc/ssh/sshd_config', '-E', path.join(host.dir, 'log/sshd.log')]));
  if (result.code !== 0) throw new Error(`sshd of ${host.name} did not start: ${result.stderr.trim()}`);
}

/** Restart the listening sshd only; open sessions keep running, as with `systemctl restart sshd`. */
export async function restartSshd(host: HostRecord, options: { readonly onAddress?: boolean } = {}): Promise<void> {
  const master = await sshdMasterPid(host);
  if (master !== null) {
    process.kill(master, 'SIGTERM');
    for (let i = 0; i < 100 && (await processName(master)) === 'sshd'; i++) await sleep(20);
  }
  await startSshd(host);
  // Behind the delay relay sshd listens on the host's loopback only; the relay's start is awaited instead.
  if (options.onAddress ?? true) await waitForPort(host.address, 22, 10_000);
}

/** Give the host a new ed25519 host key and restart sshd; returns the new public key line. */
export async function changeHostKey(host: HostRecord): Promise<string> {
  const keyFile = '/etc/ssh/ssh_host_ed25519_key';
  const generated = await execInHost(host, ['/bin/sh', '-c', 'rm -f "$1" "$1.pub" && ssh-keygen -q -t ed25519 -N "" -C "$2" -f "$1"', 'sh', keyFile, `root@${host.name}`]);
  if (generated.code !== 0) throw new Error(`could not make a new host key for ${host.name}: ${generated.stderr.trim()}`);
  await restartSshd(host);
  const publicKey = await execInHost(host, ['cat', `${keyFile}.pub`]);
  return publicKey.stdout.trim();
}

/** Rewrite the host's sshd_config: listening on its address, or only on its loopback (for the delay relay). */
export async function writeSshdConfig(host: HostRecord, listenOnAddress: boolean): Promise<void> {
  await writeHostFile(host, '/etc/ssh/sshd_config', sshdConfig(listenOnAddress ? host.address : null), 0o644);
}
