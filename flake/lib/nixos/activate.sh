#!/bin/sh
# The activation script of a NixOS system (stand-in). Run by switch-to-configuration for
# `switch` and `test`, and at boot. Like NixOS it links /etc to the new etc tree and points
# /run/current-system at this system.
# FLEET_SYSTEM_ROOT (empty on a real host) lets a test host keep /etc, /run and /boot
# under a private directory.
set -e
PATH=/usr/bin:/bin
export PATH
systemConfig=@out@
root=${FLEET_SYSTEM_ROOT:-}

echo "setting up /etc..."
mkdir -p "$root/etc"
ln -sfn "$systemConfig/etc" "$root/etc/.static.tmp"
mv -T "$root/etc/.static.tmp" "$root/etc/static"
for entry in "$systemConfig"/etc/*; do
  name=${entry##*/}
  target="$root/etc/$name"
  # Only new names and links into /etc/static are (re)placed; what the machine or the
  # admin made stays (a NixOS host owns all of /etc, a test host only part of it).
  case "$(readlink "$target" 2>/dev/null)" in
    "$root/etc/static/"*) ln -sfn "$root/etc/static/$name" "$target" ;;
    *) [ -e "$target" ] || [ -L "$target" ] || ln -s "$root/etc/static/$name" "$target" ;;
  esac
done

if [ -e "$systemConfig/etc/sops-nix/manifest.json" ]; then
  # sops-nix would decrypt here with the host's age key; the stand-in has no keys.
  echo "setting up secrets... (not decrypted: stand-in host)"
fi

echo "setting up /run/current-system..."
mkdir -p "$root/run"
ln -sfn "$systemConfig" "$root/run/.current-system.tmp"
mv -T "$root/run/.current-system.tmp" "$root/run/current-system"
if [ ! -e "$root/run/booted-system" ]; then
  # The first activation on a machine stands for its boot.
  ln -sfn "$systemConfig" "$root/run/booted-system"
fi
