import { randomBytes } from 'node:crypto';
import { unsafeNameReason } from '../homelab/names';
import type { BuildHostRoot } from '../nix/build';
import { outputTail } from '../process/run';
import type { HostSession } from './host-session';

/**
 * The garbage-collector roots a build host keeps of what it built for us, as nixos-rebuild's
 * `result` link and colmena's roots do: without them a `nix-collect-garbage` there (or its
 * automatic GC) between the build and the copy to the target, or before the next deploy,
 * deletes the closure. One root per system in the login user's
 * `~/.local/state/homelab-fleet/build-roots/` (each build replaces it, so the build before
 * becomes collectable); a revision built for a comparison has its own
 * (`<system>@revision`), which leaves the system's root alone.
 *
 * Both are indirect roots (a link in that folder, registered in the store's gcroots/auto),
 * made by `nix-store --realise --add-root`: Nix 2.8 and 2.34 alike (checked on both) make
 * every root outside the gcroots folder indirect and ignore `--indirect`, so it is not passed.
 */

/** The build-roots folder (made when missing) as a real absolute path; run as the login user. */
const folderScript = `dir=\${XDG_STATE_HOME:-$HOME/.local/state}/homelab-fleet/build-roots
mkdir -p "$dir" && cd "$dir" && pwd -P`;

/**
 * Run as root after a realise: point each root at its build ($1 the folder, $2 the pending
 * root, then pairs of root name and out path), then remove the pending root(s) nix-store
 * numbered pending, pending-2, ... Pending roots a process left when it died between its
 * realise and this step (older than an hour) go too. Exit status 1 when a root was not made.
 */
const keepScript = `folder=$1; pending=$2; shift 2
status=0
while [ $# -ge 2 ]; do
  nix-store --realise --add-root "$folder/$1" "$2" >/dev/null || status=1
  shift 2
done
rm -f -- "$pending" "$pending"-*
find "$folder" -maxdepth 1 -name '.pending-*' -mmin +60 -exec rm -f -- {} + 2>/dev/null
exit $status`;

/** The root's file name for a system's build: the system's name, or `<system>@revision` (a name never holds "@", it may hold "."). Undefined for a name unsafe as a file name. */
export function buildRootName(system: string, root: BuildHostRoot): string | undefined {
  if (unsafeNameReason(system) !== undefined) return undefined;
  return root === 'revision' ? `${system}@revision` : system;
}

/** Where one realise keeps its builds: the folder of the roots, and the pending root its outputs get from nix-store --realise. */
export interface BuildRoots {
  readonly folder: string;
  readonly pending: string;
}

/** Find (make) the build-roots folder on the build host, and name this realise's pending root. */
export async function prepareBuildRoots(session: HostSession, signal: AbortSignal): Promise<BuildRoots> {
  const made = await session.script(folderScript, [], { signal });
  const folder = made.stdout.trim();
  if (made.code !== 0 || !folder.startsWith('/')) throw new Error(made.stderr.trim() || `exit code ${made.code}`);
  return { folder, pending: `${folder}/.pending-${randomBytes(6).toString('hex')}` };
}

/**
 * The arguments that give the outputs of `nix-store --realise` the pending root: made by the
 * realise itself before it exits, so the outputs are never without a root between the build
 * (where the realise's own temporary roots hold them) and the system roots of keepBuilds.
 * When one of several builds fails, nix-store (2.8 and 2.34) makes no root at all: the ones
 * that built get theirs from keepBuilds right after, the next command on the same session.
 */
export function pendingRootArgs(roots: BuildRoots): string[] {
  return ['--add-root', roots.pending];
}

/** A build to keep: the root's name (buildRootName) and the out path it keeps. */
export interface KeptBuild {
  readonly name: string;
  readonly out: string;
}

/**
 * Point each build's root at it (the last build of a system replaces its root, so the one
 * before becomes collectable), then remove the pending root. Runs as root, as the realise
 * did. Answers why a root could not be made, or undefined.
 */
export async function keepBuilds(session: HostSession, roots: BuildRoots, builds: readonly KeptBuild[], signal: AbortSignal): Promise<string | undefined> {
  const pairs = builds.flatMap((b) => [b.name, b.out]);
  const kept = await session.scriptAsRoot(keepScript, [roots.folder, roots.pending, ...pairs], { signal });
  return kept.code === 0 ? undefined : outputTail(kept.stderr, 2) || `exit code ${kept.code}`;
}
