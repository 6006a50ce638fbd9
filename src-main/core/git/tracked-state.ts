import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitTopOf } from '../checkout/find-up';
import { runProcess } from '../process/run';

/** What nix sees of a git checkout, as one digest, with the revision it is based on. */
export interface TrackedState {
  /** HEAD's commit, when there is one. */
  readonly revision?: string;
  /** Tracked files differ from HEAD (staged or not). */
  readonly dirty: boolean;
  /** Changes exactly when the content nix evaluates for `git+file` changes; none while a merge conflict is open. */
  readonly digest?: string;
}

/**
 * The state of a checkout's tracked files in ONE `git status`: HEAD's commit (which fixes
 * every unchanged file, and `self.rev`, `lastModified` and `dirtyRev`, which a flake may put
 * into its configurations), plus each changed entry's index blob and, when the working tree
 * differs from the index, the hash of the file as it is now. That is what a `git+file` flake
 * is made of (untracked files are not part of it). Undefined outside git; no digest while a
 * merge conflict is open (nix cannot evaluate that either).
 */
export async function trackedState(root: string, signal?: AbortSignal): Promise<TrackedState | undefined> {
  // --no-optional-locks: never take index.lock to refresh it (the user's git may be running).
  const result = await runProcess('git', ['--no-optional-locks', 'status', '--porcelain=v2', '--branch', '-z', '--untracked-files=no', '--ignore-submodules=none'], {
    cwd: root,
    ...(signal ? { signal } : {}),
  }).catch(() => undefined);
  if (!result || result.code !== 0) return undefined;
  // Entries name paths from the top of the work tree, wherever in it the flake is.
  const top = gitTopOf(root) ?? root;
  const fields = result.stdout.split('\0');
  const hash = createHash('sha256');
  let revision: string | undefined;
  let dirty = false;
  let conflicted = false;
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i]!;
    if (entry.startsWith('# branch.oid ')) {
      const oid = entry.slice('# branch.oid '.length);
      if (/^[0-9a-f]{40,64}$/.test(oid)) revision = oid;
    } else if (entry.startsWith('u ')) {
      dirty = conflicted = true;
    } else if (entry.startsWith('1 ') || entry.startsWith('2 ')) {
      dirty = true;
      // "1 XY sub mH mI mW hH hI path"; "2 ... hI Xscore path" followed by the original path.
      const parts = entry.split(' ');
      const file = parts.slice(entry.startsWith('1 ') ? 8 : 9).join(' ');
      hash.update(entry).update('\0');
      if (entry.startsWith('2 ')) hash.update(fields[++i] ?? '').update('\0');
      // Y: the working tree against the index. Changed there: nix reads the file as it is now.
      if (parts[1]?.[1] !== '.') hash.update(contentOf(path.join(top, file))).update('\0');
    }
  }
  hash.update(`head ${revision ?? 'none'}`);
  return { ...(revision ? { revision } : {}), dirty, ...(conflicted ? {} : { digest: hash.digest('hex') }) };
}

/** A file's bytes as nix would copy them (a symlink's target, nothing for a deleted file). */
function contentOf(file: string): string {
  try {
    const stat = fs.lstatSync(file);
    if (stat.isSymbolicLink()) return `link ${fs.readlinkSync(file)}`;
    if (!stat.isFile()) return `other ${stat.mode}`;
    return `file ${stat.mode & 0o111 ? 'x' : '-'} ${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;
  } catch {
    return 'missing';
  }
}
