/**
 * What `reboot` does on the lab installer. The host cannot really restart a kernel, so the
 * reboot is played inside its namespaces: /mnt and FUSE mounts are unmounted, every process of the host but its holder is
 * killed (sessions, sshd, nix-daemon: the running system stops), /mnt is unmounted, the
 * partition of the installer's disks that holds an installed NixOS becomes the host's /nix,
 * the other filesystems of its /etc/fstab are mounted (by partition label, resolved with
 * blkid since there is no udev; /boot's vfat through the kernel or the fusefat emulation of
 * installer-esp.ts), its host key is put in place, /run starts empty, the
 * system's activation runs as at boot, and sshd starts again. With no installed system on
 * the disks, the installer simply comes back as it was.
 *
 * Positional arguments only ($1 host dir, $2 holder pid, then the disk devices): the script
 * never interpolates data.
 */
export const BOOT_SCRIPT = `#!/bin/sh
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
dir=$1; holder=$2; shift 2
me=$$
ns=$(readlink /proc/self/ns/net)
echo "boot: $(date -u +%FT%TZ) reboot requested"
sleep 1
# The processes of this host but the holder and this script.
host_pids() {
  for p in $(find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -lname "$ns" 2>/dev/null); do
    pid=\${p#/proc/}; pid=\${pid%%/*}
    if [ "$pid" = "$me" ] || [ "$pid" = "$holder" ]; then continue; fi
    echo "$pid"
  done
}
# As a shutdown does, filesystems are unmounted before the power goes: a FAT's dirty bit is
# cleared, and fusefat (the vfat emulation, installer-esp.ts) finishes and exits by itself.
sync
umount -R /mnt 2>/dev/null
for m in $(awk '$3 == "fuse.vfat" { print $2 }' /proc/self/mounts); do umount "$m" && echo "boot: unmounted $m"; done
i=0
while [ $i -lt 50 ]; do
  busy=""
  for pid in $(host_pids); do [ "$(cat /proc/$pid/comm 2>/dev/null)" = fusefat ] && busy=$pid; done
  [ -z "$busy" ] && break
  sleep 0.1; i=$((i + 1))
done
# The running system stops.
for pid in $(host_pids); do kill -9 "$pid" 2>/dev/null; done
sleep 0.2
umount -R /mnt 2>/dev/null
sysroot=$dir/sysroot
mkdir -p "$sysroot"
# No udev: partition nodes are made from /sys, as udev would: the partitions of the disk
# node's major:minor (/dev/vda is the lab's loop device), named after the disk (/dev/vda1).
devnum() { n=$(stat -L -c '%t %T' "$1") && printf '%d:%d' "0x\${n% *}" "0x\${n#* }"; }
partitions() {
  for disk in "$@"; do
    [ -b "$disk" ] || continue
    for number in /sys/dev/block/"$(devnum "$disk")"/*/partition; do
      [ -e "$number" ] || continue
      case "$disk" in *[0-9]) part=\${disk}p$(cat "$number") ;; *) part=$disk$(cat "$number") ;; esac
      want=$(cat "\${number%/partition}/dev")
      if [ ! -b "$part" ] || [ "$(devnum "$part")" != "$want" ]; then rm -f "$part"; mknod "$part" b "\${want%:*}" "\${want#*:}"; fi
      echo "$part"
    done
  done
}
root=""
for part in $(partitions "$@"); do
  if mount -o ro "$part" "$sysroot" 2>/dev/null; then
    [ -L "$sysroot/nix/var/nix/profiles/system" ] && root=$part
    umount "$sysroot"
  fi
  [ -n "$root" ] && break
done
start_services() {
  mkdir -p /run/sshd
  nix-daemon >>"$dir/log/nix-daemon.log" 2>&1 </dev/null &
  /usr/sbin/sshd -f /etc/ssh/sshd_config -E "$dir/log/sshd.log"
}
if [ -z "$root" ]; then
  echo "boot: no installed system on $*; the installer starts again"
  start_services
  exit 0
fi
echo "boot: root filesystem $root"
mount "$root" "$sysroot"
mount --bind "$sysroot/nix" /nix
link=$(readlink /nix/var/nix/profiles/system)
case "$link" in /*) ;; *) link=/nix/var/nix/profiles/$link ;; esac
system=$(readlink "$link")
echo "boot: system $system"
# The other filesystems of the installed system's fstab (/boot), by partition label.
while read -r device mountpoint fstype options rest; do
  case "$device" in ""|\\#*) continue ;; esac
  [ "$mountpoint" = / ] && continue
  label=\${device#/dev/disk/by-partlabel/}
  found=""
  for part in $(partitions "$@"); do
    [ "$(blkid -p -o value -s PART_ENTRY_NAME "$part" 2>/dev/null)" = "$label" ] && found=$part
  done
  if [ -n "$found" ] && mount -t "$fstype" -o "$options" "$found" "$mountpoint" 2>/dev/null; then echo "boot: $found on $mountpoint"
  else
    # Not there, or this kernel cannot mount it: the root filesystem's directory serves.
    echo "boot: $device ($fstype) not mounted; $mountpoint is the root filesystem's directory"
    mkdir -p "$sysroot$mountpoint" && mount --bind "$sysroot$mountpoint" "$mountpoint"
  fi
done < "$system/etc/fstab"
for key in "$sysroot"/etc/ssh/ssh_host_*_key "$sysroot"/etc/ssh/ssh_host_*_key.pub; do
  [ -e "$key" ] && cp -p "$key" /etc/ssh/
done
find /run -mindepth 1 -maxdepth 1 -exec rm -rf {} +
[ -e "$system/etc/hostname" ] && hostname "$(cat "$system/etc/hostname")"
"$system/activate"
start_services
echo "boot: up as $(hostname)"
`;

/** `reboot` on the installer: starts the boot above detached from the session that asked, then returns. */
export function rebootScript(hostDir: string, holderPid: number, disks: readonly string[]): string {
  for (const value of [hostDir, ...disks]) {
    if (!/^[A-Za-z0-9/._-]+$/.test(value)) throw new Error(`unexpected characters in ${value}`);
  }
  return [
    '#!/bin/sh',
    '# reboot on a lab installer host: the host boots its installed disk (tests/harness/hosts/installer-boot.ts).',
    'echo "The system is going down for reboot NOW!"',
    `setsid /bin/sh ${hostDir}/sbin/fleet-lab-boot ${hostDir} ${holderPid} ${disks.join(' ')} </dev/null >>${hostDir}/log/boot.log 2>&1 &`,
    'exit 0',
    '',
  ].join('\n');
}
