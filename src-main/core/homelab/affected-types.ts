/**
 * Which machines of the homelab the checkout's changes can reach (`changes.affected`), and
 * why. Plain data: it crosses every bridge as JSON.
 */
import type { ChangedFile, RepoState } from '../git/types';

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
