import { readFile } from 'node:fs/promises';

/**
 * EMULATION, lab installer only: a kernel without vfat (`grep -w vfat /proc/filesystems`
 * empty, as on the machines these tests run on) cannot mount an EFI system partition. The
 * installer then gets `/sbin/mount.vfat`, the helper mount(8) runs for `mount -t vfat`
 * before it asks the kernel, and the helper mounts the partition with Debian's `fusefat`
 * (a FAT driver over FUSE) read-write. The ESP that disko formats with mkfs.vfat is then a
 * real FAT filesystem on the loop disk, mounted at /mnt/boot, and the boot loader step of
 * the install writes its entries into it; after the reboot /boot is that same partition.
 * The helper is seen only inside the installer's mount namespace (an overlay on /usr/sbin
 * there); with a kernel that has vfat nothing is added and the kernel mounts it.
 */

/** Whether the running kernel can mount vfat itself. */
export async function kernelHasVfat(): Promise<boolean> {
  const filesystems = await readFile('/proc/filesystems', 'utf8');
  return filesystems.split('\n').some((line) => line.trim().split(/\s+/).pop() === 'vfat');
}

/**
 * `mount.vfat DEVICE DIR [-o OPTIONS]...` as mount(8) calls it. vfat's own options
 * (umask, fmask, codepage...) have no fusefat equivalent and are dropped: FUSE shows the
 * files as root's with mode 0700, what umask=0077 asks for. `ro` is kept. The fsname and
 * subtype make /proc/mounts read `DEVICE DIR fuse.vfat`. `log` is where fusefat's chatter
 * goes (a path of the lab's state dir, checked).
 */
export function mountVfatHelper(log: string): string {
  if (!/^[A-Za-z0-9/._-]+$/.test(log)) throw new Error(`unexpected characters in ${log}`);
  return `#!/bin/sh
# mount.vfat of a lab installer host: EMULATION of the kernel's vfat with fusefat (FUSE),
# for a kernel without vfat (tests/harness/hosts/installer-esp.ts).
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
device=$1; dir=$2; shift 2
options=rw
while [ $# -gt 0 ]; do
  case "$1" in -o) options=$2; shift 2 ;; *) shift ;; esac
done
mode=rw+
case ",$options," in *,ro,*) mode=ro ;; esac
echo "mount.vfat (fusefat emulation): $device on $dir ($mode)" >>${log}
exec fusefat -o "$mode,fsname=$device,subtype=vfat" "$device" "$dir" >>${log} 2>&1
`;
}

/**
 * Put the helper on the installer's /usr/sbin (an overlay in its mount namespace: the
 * machine's /usr/sbin is not changed). $1 the folder holding mount.vfat.
 */
export const INSTALL_VFAT_HELPER = `
set -e
command -v fusefat >/dev/null || { echo "fusefat is not installed (apt-get install fusefat; scripts/setup.mjs lists it)" >&2; exit 3; }
[ -c /dev/fuse ] || { echo "/dev/fuse is missing: the FUSE emulation of vfat cannot run" >&2; exit 3; }
mount -t overlay fleet-lab-sbin -o "lowerdir=$1:/usr/sbin" /usr/sbin
`;
