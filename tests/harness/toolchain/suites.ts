import path from 'node:path';

/**
 * The current-Nix toolchains of the test world: Debian suites whose nix-bin and OpenSSH the
 * suites also run against, each a root filesystem made once with debootstrap and cached
 * outside the checkout.
 */

/** Debian suites a toolchain can be made from, and the debootstrap script that makes each. */
export const SUITES = {
  // bookworm's debootstrap knows trixie by name.
  trixie: { script: 'trixie' },
  // bookworm's debootstrap has no script for testing's later names (forky); sid's works for sid.
  sid: { script: 'sid' },
} as const;

export type Suite = keyof typeof SUITES;

/** The one mirror this machine reaches. */
export const MIRROR = 'http://deb.debian.org/debian';

/**
 * Packages beyond debootstrap's minbase. libdbi-perl: without it nix-bin stays unconfigured;
 * ca-certificates: nix-bin's postinst wants it; sudo: the hosts' deploy user.
 */
export const PACKAGES = ['nix-bin', 'openssh-server', 'openssh-client', 'libdbi-perl', 'ca-certificates', 'sudo', 'procps'] as const;

/** Programs a toolchain's bin folder runs from its root filesystem (nix and nix-store side by side). */
export const PROGRAMS = [
  'nix',
  'nix-store',
  'nix-build',
  'nix-env',
  'nix-instantiate',
  'nix-copy-closure',
  'nix-daemon',
  'nix-collect-garbage',
  'nix-hash',
  'nix-shell',
  'nix-channel',
  'ssh',
  'ssh-keygen',
] as const;

/** Where toolchains are cached unless FLEET_TOOLCHAIN_DIR says otherwise. */
export const DEFAULT_CACHE = '/var/cache/homelab-fleet/toolchains';

/** Files and folders of one toolchain. */
export interface ToolchainPaths {
  readonly suite: Suite;
  /** <cache>/<suite>: exists only once the toolchain is complete (it is renamed into place). */
  readonly dir: string;
  /** The Debian root filesystem. */
  readonly rootfs: string;
  /** The wrapper scripts: usable as FLEET_NIX (the folder, or bin/nix). */
  readonly bin: string;
  /** Written last: suite, versions, build time and size. Its absence means "half made". */
  readonly manifest: string;
  /** Where a build in progress lives until it is complete. */
  readonly partial: string;
  /** Held while a build runs. */
  readonly lock: string;
  /** debootstrap's output of the last build. */
  readonly log: string;
}

/** Parse a suite name given on the command line. */
export function parseSuite(text: string | undefined): Suite {
  const name = text ?? 'sid';
  if (!Object.hasOwn(SUITES, name)) throw new Error(`unknown toolchain "${name}" (known: ${Object.keys(SUITES).join(', ')})`);
  return name as Suite;
}

/** The cache folder: FLEET_TOOLCHAIN_DIR, or /var/cache/homelab-fleet/toolchains. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = path.resolve(env.FLEET_TOOLCHAIN_DIR || DEFAULT_CACHE);
  // The path ends up in mount options of the lab hosts' overlay root.
  if (!/^[A-Za-z0-9/._-]+$/.test(dir)) throw new Error(`toolchain cache "${dir}" may only hold letters, digits and / . _ -`);
  return dir;
}

/** Every path of one suite's toolchain. */
export function toolchainPaths(suite: Suite, env: NodeJS.ProcessEnv = process.env): ToolchainPaths {
  const cache = cacheDir(env);
  const dir = path.join(cache, suite);
  return {
    suite,
    dir,
    rootfs: path.join(dir, 'rootfs'),
    bin: path.join(dir, 'bin'),
    manifest: path.join(dir, 'toolchain.json'),
    partial: path.join(cache, `${suite}.partial`),
    lock: path.join(cache, `${suite}.lock`),
    log: path.join(cache, `${suite}.log`),
  };
}
