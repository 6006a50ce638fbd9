import { chmod, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execInHost } from './host.js';
import { openLab, startHosts, type Lab } from './lab.js';
import type { LabHost } from './lab-host.js';
import { BOOT_SCRIPT, rebootScript } from './installer-boot.js';
import { INSTALL_VFAT_HELPER, kernelHasVfat, mountVfatHelper } from './installer-esp.js';
import { run, runOk } from './run.js';

/**
 * The lab's "installer": a machine booted from a NixOS installer image, as nixos-anywhere
 * and `fleet install` find it. It is a lab host (own network, mount and UTS namespaces,
 * sshd with root login by key, a temporary host key made at start, its own empty /nix: the
 * installer's RAM store) plus one or two blank disks: files of a few hundred MB attached as
 * loop devices (`losetup -fP`), partitioned and formatted for real by an install. `reboot`
 * on it boots what was installed on the disks (installer-boot.ts).
 *
 * Loop devices are the kernel's, so their /dev nodes exist machine-wide; nothing but the
 * installer uses them, and every one is detached (and its file removed) when the lab stops,
 * or by the next start when the test process died (cleanup.ts: detachLabDisks).
 */

export interface InstallerDisk {
  /**
   * The disk as the installer sees it: /dev/vda (the second /dev/vdb), as on a virtual
   * machine booted from a NixOS installer; its partitions are /dev/vda1, /dev/vda2, ...
   * (made inside the installer from the kernel's partitions of the loop device).
   */
  readonly device: string;
  /** The loop device behind it on this machine, e.g. /dev/loop3 (partitions /dev/loop3p1, ...). */
  readonly loop: string;
  /** Its backing file in the host's state directory. */
  readonly file: string;
  readonly sizeBytes: number;
}

export interface Installer {
  readonly lab: Lab;
  readonly host: LabHost;
  readonly disks: readonly InstallerDisk[];
  /**
   * How the installer mounts vfat (the EFI system partition): the kernel's own driver, or,
   * when the kernel has none, fusefat over FUSE (EMULATION, installer-esp.ts).
   */
  readonly vfat: 'kernel' | 'fusefat-emulation';
  /** Stop the lab: detach the loop devices, remove their files, the namespaces and all state. */
  stop(): Promise<void>;
}

export interface StartInstallerOptions {
  /** The host's name and ssh_config alias (default "installer"). */
  readonly name?: string;
  /** Size of each blank disk, e.g. "512m" (default 1g: the example's disko layout, a 512M ESP and a root, fits; at least 64m). Sparse files. */
  readonly diskSize?: string;
  /** One or two blank disks (default 1). */
  readonly disks?: 1 | 2;
  readonly stateDir?: string;
  /** Keep running after this process exits (`lab installer up`). */
  readonly detached?: boolean;
}

const INSTALLER_FILE = 'installer.json';

/**
 * The installer's own /dev: the usual character devices, a pty space, and of the block
 * devices only its blank disks, named as a virtual machine's are (/dev/vda, /dev/vdb: a
 * node with the loop device's major:minor). The machine's own disks are not there, so
 * nothing run on the installer (a typo in --disk) can reach them. Partition nodes appear as
 * they are made (installer-boot.ts, and the install's partitioning creates them from /sys
 * since no udev runs: the partitions of the disk node's major:minor). Arguments: $1 staging
 * dir, $2 further character devices (words of a constant: "fuse" for the vfat emulation,
 * or ""), then pairs of loop device and name (/dev/loop3 vda).
 */
const PRIVATE_DEV = `
set -e
dev=$1; extra=$2; shift 2
mkdir -p "$dev"
mount -t tmpfs -o mode=755,size=1m fleet-lab-dev "$dev"
for n in null zero full random urandom tty $extra; do touch "$dev/$n"; mount --bind "/dev/$n" "$dev/$n"; done
mkdir "$dev/pts" "$dev/shm"
mount --bind /dev/pts "$dev/pts"
mount -t tmpfs -o mode=1777 fleet-lab-shm "$dev/shm"
ln -s pts/ptmx "$dev/ptmx"
ln -s /proc/self/fd "$dev/fd"
ln -s /proc/self/fd/0 "$dev/stdin"; ln -s /proc/self/fd/1 "$dev/stdout"; ln -s /proc/self/fd/2 "$dev/stderr"
while [ $# -ge 2 ]; do
  numbers=$(cat "/sys/class/block/\${1#/dev/}/dev")
  mknod -m 660 "$dev/$2" b "\${numbers%:*}" "\${numbers#*:}"
  shift 2
done
mount --move "$dev" /dev
`;

/** Bytes of a size such as 512m, 1g or 300000000. */
export function parseDiskSize(text: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a disk size such as 512m or 1g`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase()] ?? 1;
  const bytes = Number(match[1]) * unit;
  if (bytes < 64 * 1024 ** 2) throw new Error(`a disk of ${text} is too small for an EFI partition and a root filesystem; use at least 64m`);
  if (bytes > 8 * 1024 ** 3) throw new Error(`a disk of ${text} is larger than a lab needs (at most 8g)`);
  return bytes;
}

/** Make a sparse file of `bytes` and attach it as a loop device with partition scanning. */
async function attachDisk(file: string, bytes: number, name: string): Promise<InstallerDisk> {
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
  const device = (await runOk('losetup', ['--find', '--partscan', '--show', file])).trim();
  if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup answered "${device}" for ${file}`);
  return { device: name, loop: device, file, sizeBytes: bytes };
}

/** The name the installer gives its i-th disk, as a virtual machine's: vda, vdb. */
function diskName(index: number): string {
  return `/dev/vd${String.fromCharCode('a'.charCodeAt(0) + index)}`;
}

/** Start an installer host with blank disks and a `reboot` that boots them. */
export async function startInstaller(options: StartInstallerOptions = {}): Promise<Installer> {
  const name = options.name ?? 'installer';
  const bytes = parseDiskSize(options.diskSize ?? '1g');
  const lab = await startHosts({ names: [name], ...(options.stateDir ? { stateDir: options.stateDir } : {}), ...(options.detached ? { detached: true } : {}) });
  const host = lab.host(name);
  const disks: InstallerDisk[] = [];
  const vfat: Installer['vfat'] = (await kernelHasVfat()) ? 'kernel' : 'fusefat-emulation';
  try {
    await mkdir(path.join(host.dir, 'disks'), { recursive: true });
    for (let i = 0; i < (options.disks ?? 1); i++) disks.push(await attachDisk(path.join(host.dir, 'disks', `disk${i}.img`), bytes, diskName(i)));
    await writeFile(path.join(host.dir, INSTALLER_FILE), `${JSON.stringify({ disks, vfat }, null, 2)}\n`);
    // reboot and the boot it starts, first on the host's PATH (/usr/local/sbin, bound inside its mount namespace only).
    const sbin = path.join(host.dir, 'sbin');
    await mkdir(sbin, { recursive: true });
    await writeFile(path.join(sbin, 'fleet-lab-boot'), BOOT_SCRIPT, { mode: 0o755 });
    await writeFile(path.join(sbin, 'reboot'), rebootScript(host.dir, host.holderPid, disks.map((d) => d.device)), { mode: 0o755 });
    await chmod(sbin, 0o755);
    const bound = await execInHost(host, ['mount', '--bind', sbin, '/usr/local/sbin']);
    if (bound.code !== 0) throw new Error(`could not put reboot on the installer's PATH: ${bound.stderr.trim()}`);
    const dev = await execInHost(host, ['/bin/sh', '-c', PRIVATE_DEV, 'sh', path.join(host.dir, 'dev'), vfat === 'kernel' ? '' : 'fuse', ...disks.flatMap((d) => [d.loop, path.basename(d.device)])]);
    if (dev.code !== 0) throw new Error(`could not give the installer its own /dev: ${dev.stderr.trim()}`);
    if (vfat === 'fusefat-emulation') {
      const helpers = path.join(host.dir, 'fs-helpers');
      await mkdir(helpers, { recursive: true });
      await writeFile(path.join(helpers, 'mount.vfat'), mountVfatHelper(path.join(host.dir, 'log', 'fusefat.log')), { mode: 0o755 });
      const helper = await execInHost(host, ['/bin/sh', '-c', INSTALL_VFAT_HELPER, 'sh', helpers]);
      if (helper.code !== 0) throw new Error(`could not give the installer its vfat emulation: ${helper.stderr.trim()}`);
    }
  } catch (error) {
    await detachDisks(disks);
    await lab.stop();
    throw error;
  }
  return { lab, host, disks, vfat, stop: () => stopInstaller(lab, disks) };
}

/** Reopen a running installer (e.g. `lab installer down` after `lab installer up`). */
export async function openInstaller(stateDir: string, name = 'installer'): Promise<Installer> {
  const lab = await openLab(stateDir);
  const host = lab.host(name);
  const record = JSON.parse(await readFile(path.join(host.dir, INSTALLER_FILE), 'utf8')) as { disks: (Omit<InstallerDisk, 'loop'> & { loop?: string })[]; vfat?: Installer['vfat'] };
  // Installers started before their disks had /dev/vd* names: the device was the loop device.
  const disks = record.disks.map((d) => ({ ...d, loop: d.loop ?? d.device }));
  const vfat = record.vfat;
  return { lab, host, disks, vfat: vfat ?? 'kernel', stop: () => stopInstaller(lab, disks) };
}

async function stopInstaller(lab: Lab, disks: readonly InstallerDisk[]): Promise<void> {
  // The host's processes go first: a mounted partition keeps its loop device busy.
  await lab.stop();
  await detachDisks(disks);
}

/** Detach loop devices (only those still backed by the given files) and remove the files. */
async function detachDisks(disks: readonly InstallerDisk[]): Promise<void> {
  for (const disk of disks) {
    const backing = await run('losetup', ['--noheadings', '--output', 'BACK-FILE', disk.loop]);
    if (backing.code === 0 && backing.stdout.trim().replace(/ \(deleted\)$/, '') === disk.file) await run('losetup', ['--detach', disk.loop]);
    await rm(disk.file, { force: true });
  }
}
