/**
 * What the git domain answers: the state of the checkout's repository and its changed
 * files. Plain data: it crosses every bridge as JSON.
 */

/** How a file differs from the base revision. */
export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type-changed' | 'untracked' | 'conflicted';

/** One changed file, with its path relative to the checkout root ("/" separators). */
export interface ChangedFile {
  readonly path: string;
  /** For renames and copies: where it came from. */
  readonly oldPath?: string;
  readonly kind: ChangeKind;
  /** The change (or part of it) is in the index. */
  readonly staged: boolean;
  /** The change (or part of it) is only in the working tree. */
  readonly unstaged: boolean;
}

/** The repository around the checkout, with what is odd about it in words. */
export interface RepoState {
  readonly isGit: boolean;
  /** The checkout's path inside the repository ("" when the checkout is the repository root). */
  readonly prefix: string;
  readonly branch?: string;
  readonly detached: boolean;
  /** Full hash of HEAD; absent in a repository without commits. */
  readonly head?: string;
  readonly upstream?: string;
  readonly ahead: number;
  readonly behind: number;
  readonly shallow: boolean;
  readonly dirty: boolean;
  readonly conflicted: readonly string[];
  /** A merge, rebase, cherry-pick or revert is in progress. */
  readonly operation?: 'merge' | 'rebase' | 'cherry-pick' | 'revert';
  readonly problems: readonly string[];
}
