import { execInHost, hostProgram, netnsPids, processName, spawnInHost } from './host.js';
import type { HostRecord } from './records.js';
import path from 'node:path';

/**
 * A full disk under /nix. A host's store normally lives in its state directory on the machine's
 * big disk, so filling it moves /nix onto a small tmpfs first (copying what is there) and then
 * takes all but `freeBytes` of it.
 */

const FILLER = '/nix/.fleet-lab-filler';
// Enough for the store database to open, so writes fail the way a full disk makes them fail:
// "No space left on device" while copying, not an SQLite error before anything starts.
export const DEFAULT_FREE_BYTES = 1024 * 1024;

// Runs inside the host. $1: tmpfs size in bytes. Copies the store, then moves the tmpfs over /nix.
const MOVE_TO_TMPFS = `
set -e
mnt=/run/fleet-lab-new-nix
mkdir -p "$mnt"
mount -t tmpfs -o "size=$1,mode=755" fleet-lab-store "$mnt"
cp -a /nix/. "$mnt/"
mount --move "$mnt" /nix
rmdir "$mnt"
`;

// $1: bytes to leave free.
const FILL = `
set -e
rm -f ${FILLER}
avail=$(( $(stat -f -c '%a * %S' /nix) ))
take=$(( avail - $1 ))
if [ "$take" -gt 0 ]; then fallocate -l "$take" ${FILLER}; fi
`;

async function inHostOk(host: HostRecord, argv: readonly string[]): Promise<string> {
  const result = await execInHost(host, argv);
  if (result.code !== 0) throw new Error(`${argv.join(' ')} in ${host.name} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Restart nix-daemon so it serves the /nix that is mounted now. */
async function restartNixDaemon(host: HostRecord): Promise<void> {
  for (const pid of await netnsPids(host.netns)) {
    if ((await processName(pid)) === 'nix-daemon') process.kill(pid, 'SIGKILL');
  }
  spawnInHost(host, hostProgram(host, ['nix-daemon']), path.join(host.dir, 'log/nix-daemon.log'));
}

/** Whether the host's /nix is already a tmpfs (started with storeSize, or filled before). */
export async function storeOnTmpfs(host: HostRecord): Promise<boolean> {
  return (await inHostOk(host, ['stat', '-f', '-c', '%T', '/nix'])).trim() === 'tmpfs';
}

/** Fill the disk holding the host's /nix, leaving `freeBytes` (default 1 MiB): store writes then fail with "No space left on device". */
export async function fillStore(host: HostRecord, options: { readonly freeBytes?: number } = {}): Promise<void> {
  const freeBytes = options.freeBytes ?? DEFAULT_FREE_BYTES;
  if (!(await storeOnTmpfs(host))) {
    const used = Number((await inHostOk(host, ['du', '-sb', '/nix'])).split('\t')[0]);
    // Room for the copy plus what the caller wants free; the filler takes the rest.
    await inHostOk(host, ['/bin/sh', '-c', MOVE_TO_TMPFS, 'sh', String(used + freeBytes + 16 * 1024 * 1024)]);
    await restartNixDaemon(host);
  }
  await inHostOk(host, ['/bin/sh', '-c', FILL, 'sh', String(freeBytes)]);
}

/** Give the space back (the store stays on its tmpfs until the host is stopped). */
export async function freeStore(host: HostRecord): Promise<void> {
  await inHostOk(host, ['rm', '-f', FILLER]);
}
