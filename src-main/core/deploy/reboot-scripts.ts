/**
 * The scripts of a reboot. Constants of this code base, like remote-scripts.ts: data reaches
 * them only as quoted positional arguments. Both run as root: /run/homelab-fleet is root's.
 *
 * How the app knows the host really rebooted: a mark left in /run before the reboot. /run is a
 * tmpfs on NixOS, so the mark is gone exactly when the host booted again; a host that is slow
 * to go down still answers with its mark in place and is not taken for one that came back.
 */

/** Leave the mark (arg: the deploy id) and ask systemd to reboot. Exits 0 once the reboot is queued. */
export const rebootScript = `
d=/run/homelab-fleet
mkdir -p "$d" && chmod 700 "$d" && printf '%s\\n' "$1" > "$d/reboot-requested" || { echo "cannot write the reboot mark in $d" >&2; exit 90; }
if [ -x /run/current-system/sw/bin/systemctl ]; then exec /run/current-system/sw/bin/systemctl reboot; fi
if command -v systemctl >/dev/null 2>&1; then exec systemctl reboot; fi
exec reboot
`;

/**
 * After a reboot (no args): whether this is a new boot (the mark is gone), what it booted, what
 * runs, and where the system profile (the boot default) points. "key=value" lines.
 */
export const afterRebootScript = `
if [ -e /run/homelab-fleet/reboot-requested ]; then echo rebooted=no; else echo rebooted=yes; fi
[ -e /run/booted-system ] && echo "booted=$(readlink -f /run/booted-system)"
[ -e /run/current-system ] && echo "current=$(readlink -f /run/current-system)"
p=/nix/var/nix/profiles/system
[ -e "$p" ] && echo "profile=$(readlink -f "$p")"
exit 0
`;
