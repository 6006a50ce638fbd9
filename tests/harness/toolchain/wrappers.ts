import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
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
self=$0
# Every fork counts (nix runs often), so readlink only when the path needs resolving.
case $self in /*) [ ! -L "$self" ] || self=$(readlink -f -- "$self") ;; *) self=$(readlink -f -- "$self") ;; esac
toolchain=\${self%/bin/*}
exec unshare --mount --propagation private -- /bin/sh "$toolchain/enter.sh" "$toolchain" "\${self##*/}" "$@"
`;

// Runs inside the private mount namespace: shows the machine's /nix, /proc, /dev, /tmp, nix
// settings, users, HOME and the working folder to the root filesystem, then runs the program
// there. Mounts vanish with the namespace when the program ends.
const ENTER_SCRIPT = `# Written by tests/harness/toolchain (see bin/*). Arguments: toolchain folder, program, its arguments.
set -eu
set -f
toolchain=$1
root=$toolchain/rootfs
program=$2
shift 2

# A machine path at the same place inside. Folders the root filesystem needs for itself
# (its programs, libraries and settings) are never covered.
show() {
  case "$1" in
    ''|/|/bin|/bin/*|/sbin|/sbin/*|/lib|/lib/*|/lib64|/lib64/*|/usr|/usr/*|/etc|/etc/*|/var|/var/run|/var/run/*|/proc|/proc/*|/dev|/dev/*|/sys|/sys/*) return 0 ;;
  esac
  mount_same "$1"
}

mount_same() {
  [ -e "$1" ] || return 0
  if [ -d "$1" ]; then
    [ -d "$root$1" ] || mkdir -p "$root$1"
  elif [ ! -e "$root$1" ]; then
    [ -d "$root\${1%/*}" ] || mkdir -p "$root\${1%/*}"
    : > "$root$1"
  fi
  mount --bind "$1" "$root$1"
}

# /dev, /proc, /nix, /tmp and the machine's nix settings and users, in one mount(8) run.
mount --all --fstab "$toolchain/fstab"
# HOME and the working folder, unless /tmp (or the other) shows them already.
case "\${HOME:-}" in /tmp/*) ;; *) show "\${HOME:-}" ;; esac
case "$PWD" in /tmp/*|"\${HOME:-/nonexistent}"|"\${HOME:-/nonexistent}"/*) ;; *) show "$PWD" ;; esac
if [ -n "\${SSH_AUTH_SOCK:-}" ]; then show "\${SSH_AUTH_SOCK%/*}"; fi
IFS=:
for extra in \${FLEET_TOOLCHAIN_BIND:-}; do show "$extra"; done
unset IFS

wd=$PWD
[ -d "$root$wd" ] || wd=/
exec chroot "$root" /usr/bin/env --chdir="$wd" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$program" "$@"
`;

/**
 * Machine paths every program sees at the same place inside: /proc (nix reads /proc/self/exe),
 * /dev, the store, /tmp, and the machine's nix settings and users (nixbld, the owners of HOME
 * and the store).
 */
const ALWAYS_SHOWN: readonly (readonly [string, 'bind' | 'rbind'])[] = [
  ['/dev', 'rbind'],
  ['/proc', 'rbind'],
  ['/nix', 'bind'],
  ['/tmp', 'bind'],
  ['/etc/nix', 'bind'],
  ['/etc/passwd', 'bind'],
  ['/etc/group', 'bind'],
  ['/etc/hosts', 'bind'],
];

/** fstab lines (mounted with one `mount --all --fstab`) for the paths every program sees. */
export function fstabOf(rootfs: string): string {
  // The paths land in fstab fields, which end at white space.
  if (!/^[A-Za-z0-9/._-]+$/.test(rootfs)) throw new Error(`toolchain root "${rootfs}" may only hold letters, digits and / . _ -`);
  return ALWAYS_SHOWN.map(([source, kind]) => `${source} ${rootfs}${source} none ${kind} 0 0\n`).join('');
}

/**
 * Folders every program needs to see that a new machine may not have yet: Debian's nix-bin
 * makes neither /nix (nix creates it on first use) nor /etc/nix. Made empty here, so a
 * toolchain made before the first nix run still shows the store that run makes.
 */
const MADE_WHEN_MISSING = new Set(['/nix', '/etc/nix']);

/** Whether a toolchain's fstab is the one these wrappers write (an older one may lack /nix). */
export async function wrappersCurrent(toolchainDir: string): Promise<boolean> {
  const written = await readFile(path.join(toolchainDir, 'fstab'), 'utf8').catch(() => null);
  return written === fstabOf(path.join(toolchainDir, 'rootfs'));
}

/**
 * Write bin/<program> for every program, the enter.sh they share and the fstab it mounts into
 * a toolchain folder (in its final place: the fstab names the root filesystem's path).
 */
export async function writeWrappers(toolchainDir: string): Promise<void> {
  const rootfs = path.join(toolchainDir, 'rootfs');
  for (const [source] of ALWAYS_SHOWN) {
    if (!existsSync(source)) {
      if (!MADE_WHEN_MISSING.has(source)) throw new Error(`${source} does not exist on this machine; the toolchain shows it to every program`);
      await mkdir(source, { recursive: true });
    }
    const target = path.join(rootfs, source);
    if (existsSync(target)) continue;
    // Mount points for files are empty files.
    if (source.startsWith('/etc/') && source !== '/etc/nix') await writeFile(target, '');
    else await mkdir(target, { recursive: true });
  }
  await writeFile(path.join(toolchainDir, 'fstab'), fstabOf(rootfs));
  const bin = path.join(toolchainDir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(path.join(toolchainDir, 'enter.sh'), ENTER_SCRIPT, { mode: 0o644 });
  for (const program of PROGRAMS) {
    const file = path.join(bin, program);
    await writeFile(file, PROGRAM_SCRIPT);
    await chmod(file, 0o755);
  }
}
