#!/bin/sh
# switch-to-configuration of a NixOS system (stand-in with NixOS's interface and messages).
#   switch        make this the boot default and activate it now
#   boot          make this the boot default, activate at next boot
#   test          activate now, keep the boot default
#   dry-activate  print what switch would do, change nothing
# Set the system profile first, as nixos-rebuild does:
#   nix-env -p /nix/var/nix/profiles/system --set <toplevel>
# Test hosts may relocate state: FLEET_SYSTEM_ROOT prefixes /etc, /run and /boot (empty on
# a real host) and FLEET_SYSTEM_PROFILE replaces /nix/var/nix/profiles/system.
set -e
PATH=/usr/bin:/bin
export PATH
toplevel=@out@
root=${FLEET_SYSTEM_ROOT:-}
profile=${FLEET_SYSTEM_PROFILE:-/nix/var/nix/profiles/system}
action=${1:-}

usage() {
  echo "Usage: switch-to-configuration [switch|boot|test|dry-activate]" >&2
  echo "switch:       make the configuration the boot default and activate now" >&2
  echo "boot:         make the configuration the boot default" >&2
  echo "test:         activate the configuration, but don't make it the boot default" >&2
  echo "dry-activate: show what would be done if this configuration were activated" >&2
}

case "$action" in
  switch|boot|test|dry-activate) ;;
  "") echo "error: no action given" >&2; usage; exit 1 ;;
  *) echo "error: unknown action '$action'" >&2; usage; exit 1 ;;
esac

if [ "$action" != dry-activate ] && [ "$(id -u)" != 0 ]; then
  echo "error: switch-to-configuration $action must be run as root" >&2
  exit 1
fi

old="$root/run/current-system"
units=etc/systemd/system
start=""; restart=""; stop=""
for unit in "$toplevel/$units"/*.service; do
  [ -e "$unit" ] || continue
  name=${unit##*/}
  if [ ! -e "$old/$units/$name" ]; then start="$start $name"
  elif ! cmp -s "$unit" "$old/$units/$name"; then restart="$restart $name"
  fi
done
if [ -d "$old/$units" ]; then
  for unit in "$old/$units"/*.service; do
    [ -e "$unit" ] || continue
    name=${unit##*/}
    [ -e "$toplevel/$units/$name" ] || stop="$stop $name"
  done
fi

# A new kernel, initrd or kernel parameters only take effect after a reboot.
reboot_needed=no
if [ -e "$root/run/booted-system" ]; then
  for f in kernel initrd kernel-params; do
    if [ "$(readlink -f "$root/run/booted-system/$f")" != "$(readlink -f "$toplevel/$f")" ] &&
       ! cmp -s "$root/run/booted-system/$f" "$toplevel/$f"; then
      reboot_needed=yes
    fi
  done
fi

if [ "$action" = dry-activate ]; then
  [ -z "$stop" ] || echo "would stop the following units:$stop"
  echo "would activate the configuration..."
  [ -z "$restart" ] || echo "would restart the following units:$restart"
  [ -z "$start" ] || echo "would start the following units:$start"
  [ "$reboot_needed" = no ] || echo "would need a reboot: the kernel, initrd or kernel parameters changed"
  exit 0
fi

if [ "$action" = switch ] || [ "$action" = boot ]; then
  if [ "$(readlink -f "$profile")" != "$toplevel" ]; then
    echo "warning: $profile does not point to $toplevel; set it first with: nix-env -p $profile --set $toplevel" >&2
  fi
  generation=$(readlink "$profile" 2>/dev/null | sed -n 's/^.*system-\([0-9][0-9]*\)-link$/\1/p')
  [ -n "$generation" ] || generation=0
  echo "updating the boot loader (systemd-boot), default generation $generation..."
  entries="$root/boot/loader/entries"
  mkdir -p "$entries"
  {
    echo "title NixOS"
    echo "version Generation $generation $(cat "$toplevel/nixos-version")"
    echo "linux $(readlink -f "$toplevel/kernel")"
    echo "initrd $(readlink -f "$toplevel/initrd")"
    echo "options $(cat "$toplevel/kernel-params")"
    echo "system $toplevel"
  } > "$entries/.nixos-generation-$generation.conf.tmp"
  mv "$entries/.nixos-generation-$generation.conf.tmp" "$entries/nixos-generation-$generation.conf"
  echo "default nixos-generation-$generation.conf" > "$root/boot/loader/loader.conf"
fi

if [ "$action" = switch ] || [ "$action" = test ]; then
  systemctl="$toplevel/sw/bin/systemctl"
  if [ -n "$stop" ]; then echo "stopping the following units:$stop"; "$systemctl" stop $stop || true; fi
  echo "activating the configuration..."
  "$toplevel/activate"
  if [ -n "$restart" ]; then echo "restarting the following units:$restart"; "$systemctl" restart $restart || true; fi
  # Test hosts only (tests/harness): wait as long as a real host's service restarts take.
  delay=""; [ ! -r "$root/run/fleet-lab-activation-seconds" ] || read -r delay < "$root/run/fleet-lab-activation-seconds"
  [ -z "$delay" ] || sleep "$delay"
  if [ -n "$start" ]; then echo "starting the following units:$start"; "$systemctl" start $start || true; fi
  [ "$reboot_needed" = no ] || echo "warning: the kernel, initrd or kernel parameters changed; reboot to use them"
fi
exit 0
