import { FleetError } from '../contract';
import { gitAt, readRepoState } from './repo';

/** What `git.commit` made. */
export interface CommitResult {
  readonly commit: string;
  readonly branch?: string;
  readonly files: number;
}

/**
 * Commit the checkout's changes with a message: the given paths (relative to the
 * checkout), or everything under the checkout (tracked changes and new files). Refuses
 * while merge conflicts are unresolved.
 */
export async function commitChanges(root: string, message: string, paths?: readonly string[]): Promise<CommitResult> {
  const state = await readRepoState(root);
  if (!state.isGit) throw new FleetError('not-git', `${root} is not a git repository.`);
  if (state.conflicted.length > 0) throw new FleetError('conflicts', `Resolve the merge conflicts first: ${state.conflicted.join(', ')}.`);
  for (const p of paths ?? []) {
    if (p.startsWith('-') || p.startsWith('/') || p.split('/').includes('..')) throw new FleetError('invalid-input', `${p} is not a path inside the checkout.`);
  }
  const git = gitAt(root);
  const scope = paths && paths.length > 0 ? [...paths] : ['.'];
  await git.raw(['add', '--all', '--', ...scope]);
  const staged = (await git.raw(['diff', '--cached', '--name-only', '--', ...scope])).split('\n').filter(Boolean);
  if (staged.length === 0) throw new FleetError('nothing-to-commit', 'There is nothing to commit.');
  const result = await git.commit(message, scope);
  const commit = (await git.raw(['rev-parse', 'HEAD'])).trim();
  return { commit, ...(result.branch ? { branch: result.branch } : {}), files: staged.length };
}

/** Put the checkout's changes (and new files) aside with `git stash`; answers the stash's name. */
export async function stashChanges(root: string, message?: string): Promise<{ readonly stash: string }> {
  const state = await readRepoState(root);
  if (!state.isGit) throw new FleetError('not-git', `${root} is not a git repository.`);
  if (!state.dirty) throw new FleetError('nothing-to-stash', 'There are no changes to stash.');
  const git = gitAt(root);
  await git.raw(['stash', 'push', '--include-untracked', ...(message ? ['-m', message] : []), '--', '.']);
  return { stash: (await git.raw(['rev-parse', '--short', 'stash@{0}'])).trim() };
}

/**
 * What a deploy should warn about before it builds the checkout: uncommitted changes
 * (the deploy then records a revision that does not describe what runs), conflicts, a
 * detached HEAD, an unfinished merge. Empty when the tree is clean. For the deploy sheet.
 */
export async function deployTreeWarnings(root: string): Promise<readonly string[]> {
  const state = await readRepoState(root);
  if (!state.isGit) return ['The checkout is not a git repository: the deploy cannot record which revision it deployed.'];
  const warnings: string[] = [];
  if (state.dirty) warnings.push('The working tree has uncommitted changes: the deploy builds them, but the recorded revision will be "dirty". Commit first to know later what runs.');
  warnings.push(...state.problems.filter((p) => !p.startsWith('Shallow')));
  return warnings;
}
