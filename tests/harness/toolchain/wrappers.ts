import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROGRAMS } from './suites.js';

/**
 * The wrapper scripts of a toolchain. Every bin/<program> is the same script: it finds its
 * toolchain from its own location and runs the program it is named after, so no path or
 * name is ever written into shell text, and the caller's arguments pass through as "$@".
 */

const PROGRAM_SCRIPT = `#!/bin/sh
# Written by tests/harness/toolchain: runs the program this file is named after from the
# Debian root filesystem beside this folder, on this machine's /nix. Needs root.
set -eu
self=$(readlink -f -- "$0")
exec unshare --mount --propagation private -- /bin/sh "\${self%/bin/*}/enter.sh" "\${self##*/}" "$@"
`;

// Runs inside the private mount namespace: shows the machine's /nix, /proc, /dev, /tmp, nix
// settings, users, HOME and the working folder to the root filesystem, then runs the program
// there. Mounts vanish with the namespace when the program ends.
const ENTER_SCRIPT = `# Written by tests/harness/toolchain (see bin/*). Arguments: program, then its arguments.
set -eu
set -f
toolchain=$(dirname -- "$(readlink -f -- "$0")")
root=$toolchain/rootfs
program=$1
shift

# A machine path at the same place inside. Folders the root filesystem needs for itself
# (its programs, libraries and settings) are never covered.
show() {
  case "$1" in
    ''|/|/bin|/bin/*|/sbin|/sbin/*|/lib|/lib/*|/lib64|/lib64/*|/usr|/usr/*|/etc|/etc/*|/var|/var/run|/var/run/*|/proc|/proc/*|/dev|/dev/*|/sys|/sys/*) return 0 ;;
  esac
  [ -e "$1" ] || return 0
  if [ -d "$1" ]; then mkdir -p "$root$1"; elif [ ! -e "$root$1" ]; then mkdir -p "$(dirname -- "$root$1")"; : > "$root$1"; fi
  mount --bind "$1" "$root$1"
}

# The machine's nix settings and users (nixbld, the owners of HOME and the store).
show_etc() {
  [ -e "$1" ] || return 0
  if [ -d "$1" ]; then mkdir -p "$root$1"; elif [ ! -e "$root$1" ]; then : > "$root$1"; fi
  mount --bind "$1" "$root$1"
}

mount --rbind /dev "$root/dev"
mount --rbind /proc "$root/proc"
mount --rbind /sys "$root/sys"
show /nix
show /tmp
for file in /etc/nix /etc/passwd /etc/group /etc/hosts; do show_etc "$file"; done
show "\${HOME:-}"
show "$PWD"
if [ -n "\${SSH_AUTH_SOCK:-}" ]; then show "$(dirname -- "$SSH_AUTH_SOCK")"; fi
IFS=:
for extra in \${FLEET_TOOLCHAIN_BIND:-}; do show "$extra"; done
unset IFS

wd=$PWD
[ -d "$root$wd" ] || wd=/
exec chroot "$root" /usr/bin/env --chdir="$wd" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$program" "$@"
`;

/** Write bin/<program> for every program and the enter.sh they share into a toolchain folder. */
export async function writeWrappers(toolchainDir: string): Promise<void> {
  const bin = path.join(toolchainDir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(path.join(toolchainDir, 'enter.sh'), ENTER_SCRIPT, { mode: 0o644 });
  for (const program of PROGRAMS) {
    const file = path.join(bin, program);
    await writeFile(file, PROGRAM_SCRIPT);
    await chmod(file, 0o755);
  }
}
