import * as path from 'node:path';
import { simpleGit } from 'simple-git';
import { requireHomelabRoot } from '../checkout/homelab-root';
import type { CheckoutSummary } from './contract';

/**
 * Check that `input` is a homelab checkout and describe it: branch, dirty state, and
 * what is wrong with it in words a person can act on. Throws when it is not a folder or
 * holds no flake.nix (nothing to show then).
 */
export async function readCheckout(input: string, base = process.cwd()): Promise<CheckoutSummary> {
  const root = requireHomelabRoot(path.resolve(base, input));
  const hasFlake = true;
  const problems: string[] = [];
  const git = simpleGit({ baseDir: root, timeout: { block: 15_000 } });
  let isGit: boolean;
  try {
    isGit = (await git.revparse(['--show-toplevel'])).trim().length > 0;
  } catch {
    isGit = false;
  }
  if (!isGit) {
    problems.push('Not a git repository: changes, diffs and deployed revisions cannot be shown (run `git init` and commit).');
    return { root, name: path.basename(root), isGit, hasFlake, dirty: false, changedFiles: 0, problems };
  }
  try {
    const status = await git.status();
    let head: string | undefined;
    try {
      head = (await git.revparse(['HEAD'])).trim();
    } catch {
      problems.push('The repository has no commits yet.');
    }
    const detached = status.detached || status.current === 'HEAD';
    if (detached) problems.push('Detached HEAD: deploys record the commit, not a branch.');
    if (status.conflicted.length > 0) problems.push(`Merge conflicts in ${status.conflicted.length} file(s).`);
    if (status.not_added.length > 0) {
      problems.push(`${status.not_added.length} untracked file(s): nix does not see files git does not track.`);
    }
    return {
      root,
      name: path.basename(root),
      isGit,
      hasFlake,
      ...(status.current && !detached ? { branch: status.current } : {}),
      detached,
      ...(head ? { head } : {}),
      dirty: !status.isClean(),
      changedFiles: status.files.length,
      ahead: status.ahead,
      behind: status.behind,
      problems,
    };
  } catch (error) {
    problems.push(`git status failed: ${(error as Error).message}`);
    return { root, name: path.basename(root), isGit, hasFlake, dirty: false, changedFiles: 0, problems };
  }
}
