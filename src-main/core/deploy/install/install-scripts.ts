/**
 * The scripts an install runs on the machine, as root. Constants: store paths, names and
 * devices only reach them as quoted positional arguments.
 */

/**
 * Run the system's disko script on the chosen disk. $1 the script, $2 the disk's name in
 * disko.nix, $3 the device. Everything on the device is erased. Refused while the disk or
 * one of its partitions is in use: a mounted filesystem (matched by device numbers, not by
 * the name it was mounted by: the same disk has other names, and a name may have meant
 * another disk where the mount was made; a FUSE mount by its source device) or a holder
 * (LVM, RAID, dm-crypt).
 */
export const diskoRunScript = `
set -eu
script=$1; name=$2; device=$3
[ -b "$device" ] || { echo "install: $device is not a block device on this machine" >&2; exit 3; }
devnum() { n=$(stat -L -c '%t %T' "$1") && printf '%d:%d' "0x\${n% *}" "0x\${n#* }"; }
disk=$(devnum "$device")
mounted=$(awk '{ i = 7; while ($i != "-") i++; print $3, $(i + 1), $(i + 2) }' /proc/self/mountinfo | while read -r numbers fstype source; do
  case "$fstype" in fuse*) [ -b "$source" ] && numbers=$(devnum "$source") ;; esac
  echo "$numbers"
done)
for n in "$disk" $(for p in /sys/dev/block/"$disk"/*/partition; do [ -e "$p" ] && cat "\${p%/partition}/dev"; done); do
  if printf '%s\\n' "$mounted" | grep -qx "$n"; then echo "install: $device is mounted (device $n); refusing to erase it" >&2; exit 3; fi
  if [ -n "$(ls /sys/dev/block/"$n"/holders 2>/dev/null)" ]; then echo "install: $device is in use by $(ls /sys/dev/block/"$n"/holders | tr '\\n' ' '); refusing to erase it" >&2; exit 3; fi
done
"$script" --disk "$name" "$device"
`;

/**
 * Install a system into /mnt as nixos-install does: its closure into /mnt's store, the
 * system profile, the boot loader through switch-to-configuration's boot step (inside
 * nixos-enter on a NixOS installer; without it the system's own switch-to-configuration
 * with its root relocated to /mnt), and the host key made for it (as nixos-anywhere's
 * --extra-files places one): the private key on stdin, never in argv.
 * $1 the system's toplevel, $2 the machine's name, $3 the public key line.
 */
export const installIntoMntScript = `
set -eu
toplevel=$1; name=$2
mountpoint -q /mnt 2>/dev/null || grep -q ' /mnt ' /proc/mounts || { echo "install: nothing is mounted on /mnt (did disko run?)" >&2; exit 3; }
echo "install: copying the system into /mnt/nix/store"
nix --extra-experimental-features nix-command copy --no-check-sigs --to "local?root=/mnt" "$toplevel" </dev/null
echo "install: setting the system profile"
mkdir -p /mnt/nix/var/nix/profiles
nix-env --store "local?root=/mnt" -p /mnt/nix/var/nix/profiles/system --set "$toplevel" </dev/null
mkdir -p /mnt/etc /mnt/boot /mnt/root /mnt/tmp
echo "install: installing the boot loader"
if command -v nixos-enter >/dev/null 2>&1; then
  NIXOS_INSTALL_BOOTLOADER=1 nixos-enter --root /mnt -- /run/current-system/bin/switch-to-configuration boot </dev/null
else
  FLEET_SYSTEM_ROOT=/mnt FLEET_SYSTEM_PROFILE=/mnt/nix/var/nix/profiles/system "$toplevel/bin/switch-to-configuration" boot </dev/null
fi
echo "install: placing the host key"
mkdir -p /mnt/etc/ssh
umask 077
cat > /mnt/etc/ssh/ssh_host_ed25519_key
printf '%s\\n' "$3" > /mnt/etc/ssh/ssh_host_ed25519_key.pub
chmod 644 /mnt/etc/ssh/ssh_host_ed25519_key.pub
sync
echo "install: done"
`;

/** What /run/current-system points at, or nothing. */
export const currentSystemScript = `readlink /run/current-system 2>/dev/null || true`;
