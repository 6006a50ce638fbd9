/**
 * What the git domain answers: the state of the checkout's repository, its changed files,
 * and the machines those changes can reach. Plain data: it crosses every bridge as JSON.
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

/** The machines of a homelab, by the kinds the app deploys. */
export type MachineKind = 'system' | 'home' | 'droid';

/** Which mapping rule tied a file to a machine. */
export type AffectRule =
  | 'host-config'
  | 'host-home'
  | 'base-home'
  | 'global-home'
  | 'droid-home'
  | 'droid-config'
  | 'nixos-module'
  | 'home-module'
  | 'droid-module'
  | 'flake-wide'
  | 'evaluation';

/** Why a machine is in the affected set: the file and the rule, said in words. */
export interface AffectReason {
  readonly path: string;
  readonly rule: AffectRule;
  readonly message: string;
}

/** A machine the changes can reach. */
export interface AffectedMachine {
  /** "<kind>:<name>", unique across kinds (a home and a droid may share a name). */
  readonly id: string;
  readonly name: string;
  readonly kind: MachineKind;
  /** At most 20 reasons; `reasonCount` says how many there were. */
  readonly reasons: readonly AffectReason[];
  readonly reasonCount: number;
  /** The rules say it may change. False only when evaluation found it changed without a rule. */
  readonly likely: boolean;
  /** Set when evaluation ran: whether the machine's derivation path really changed. */
  readonly confirmed?: boolean;
  /** The configuration no longer exists in the new tree. */
  readonly removed?: boolean;
  /** The configuration is new in this tree. */
  readonly added?: boolean;
  /** Derivation paths before and after, when evaluated. */
  readonly drvPath?: { readonly old?: string; readonly new?: string };
  /** Evaluating this machine failed; the message says why. */
  readonly evalError?: string;
}

/** A changed file no rule maps to a machine (docs, templates, secrets...). */
export interface UnmappedFile {
  readonly path: string;
  readonly message: string;
}

/** How the "confirmed changed" check went. */
export interface Confirmation {
  readonly state: 'confirmed' | 'skipped' | 'unavailable' | 'failed';
  readonly message?: string;
  readonly durationMs?: number;
  /** Machines whose derivation was evaluated on both sides. */
  readonly evaluated?: number;
}

/** `changes.affected`: which machines the checkout's changes touch. */
export interface AffectedReport {
  readonly root: string;
  /** The revision the changes are measured from ("HEAD" by default), resolved to a hash when it exists. */
  readonly base: { readonly ref: string; readonly rev?: string };
  readonly repo: RepoState;
  readonly files: readonly ChangedFile[];
  /** Likely affected and confirmed changed machines; unaffected ones are not listed. */
  readonly affected: readonly AffectedMachine[];
  readonly unmapped: readonly UnmappedFile[];
  /** Every machine of the checkout, as "<kind>:<name>", so a front end can show the untouched ones. */
  readonly machines: readonly string[];
  readonly confirmation: Confirmation;
  readonly computeMs: number;
}
