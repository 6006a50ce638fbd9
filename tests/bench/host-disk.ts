import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runOk } from '../harness/hosts/run';

/**
 * A journaled ext4 of its own (a sparse file on a loop device) for the bench's lab hosts'
 * state: their /nix, /run and /etc live in the lab's state directory, which otherwise is on
 * this machine's root filesystem. Here that is an ext4 without a journal, and ext4 without one
 * skips every inode deleted in the last minute (five when its block is dirty) when it creates
 * a file, reading each one's block: right after the bench had removed the previous phase's 20
 * hosts, the next phase's nix-store imports spent 13% of a 20-host deploy's CPU in
 * recently_deleted and find_get_block_common (perf record -a, 2026-12-03). A host's disk has
 * a journal (ext4's default), so the hosts get one, and both the loops and the deploys run on
 * it. FLEET_BENCH_HOST_DISK=machine keeps them on the machine's filesystem, as before.
 */
export interface HostDisk {
  /** A fresh directory on the disk for one lab's state. */
  stateDir(): string;
  /** What the bench prints about where its hosts live. */
  readonly description: string;
  stop(): Promise<void>;
}

export async function startHostDisk(bytes = 8 * 1024 ** 3): Promise<HostDisk> {
  if (process.env.FLEET_BENCH_HOST_DISK === 'machine') {
    return { stateDir: () => fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-lab-bench-')), description: "lab hosts' state on this machine's root filesystem (FLEET_BENCH_HOST_DISK=machine)", stop: async () => undefined };
  }
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-hostdisk-'));
  const image = path.join(base, 'disk.img');
  const mountPoint = path.join(base, 'mnt');
  fs.mkdirSync(mountPoint);
  fs.closeSync(fs.openSync(image, 'wx', 0o600));
  fs.truncateSync(image, bytes);
  let device = '';
  let mounted = false;
  // One teardown, synchronous so that it also runs on the bench's exit: no mount or loop device left behind.
  const stopNow = () => {
    process.off('exit', stopNow);
    if (mounted) spawnSync('umount', ['-l', mountPoint]);
    if (device) spawnSync('losetup', ['--detach', device]);
    mounted = false;
    device = '';
    fs.rmSync(base, { recursive: true, force: true });
  };
  const stop = async () => stopNow();
  process.on('exit', stopNow);
  try {
    await runOk('mkfs.ext4', ['-q', '-F', '-O', 'has_journal', image]);
    device = (await runOk('losetup', ['--find', '--show', image])).trim();
    if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup answered "${device}" for ${image}`);
    await runOk('mount', [device, mountPoint]);
    mounted = true;
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    stateDir: () => fs.mkdtempSync(path.join(mountPoint, 'lab-')),
    description: `lab hosts' state on a journaled ext4 of their own (${(bytes / 1024 ** 3).toFixed(0)} GiB sparse file on ${device}; this machine's root filesystem has ${journaled('/') ? 'a' : 'no'} journal)`,
    stop,
  };
}

/** Whether the filesystem holding `dir` is an ext4 with a journal (jbd2 lists its device), as far as /proc tells. */
function journaled(dir: string): boolean {
  try {
    // Linux's dev_t: major in bits 8-19, minor in bits 0-7 and 20-31.
    const dev = fs.statSync(dir).dev;
    const major = (dev >> 8) & 0xfff;
    const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    const block = path.basename(fs.realpathSync(`/sys/dev/block/${major}:${minor}`));
    return fs.readdirSync('/proc/fs/jbd2').some((j) => j.startsWith(`${block}-`));
  } catch {
    return false;
  }
}
