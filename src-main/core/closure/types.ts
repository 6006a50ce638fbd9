/**
 * A closure diff as nvd shows one: packages upgraded, downgraded, added and removed,
 * with sizes, and what a deploy would have to copy. Plain data for every bridge.
 */

/** One store path of a closure and its NAR size. */
export interface ClosureEntry {
  readonly path: string;
  readonly narSize: number;
}

/** How a package changed between two closures. */
export type PackageChange = 'upgraded' | 'downgraded' | 'changed' | 'added' | 'removed' | 'rebuilt';

/** One package (pname + output) whose versions or contents differ. */
export interface PackageDiff {
  /** "openssl" or "openssl (bin)" for a non-default output. */
  readonly name: string;
  readonly pname: string;
  readonly output: string;
  readonly change: PackageChange;
  /** Versions on each side ("" for a name without a version). */
  readonly oldVersions: readonly string[];
  readonly newVersions: readonly string[];
  readonly oldSize: number;
  readonly newSize: number;
  /** newSize - oldSize, bytes. */
  readonly sizeDelta: number;
}

/** Two closures compared. */
export interface ClosureDiff {
  readonly packages: readonly PackageDiff[];
  readonly counts: Readonly<Record<PackageChange, number>>;
  readonly oldPaths: number;
  readonly newPaths: number;
  readonly oldSize: number;
  readonly newSize: number;
  readonly sizeDelta: number;
  /**
   * Paths of the new closure the old side lacks: what a deploy copies. `exact` when the
   * host's whole store was asked (it may hold paths of older generations); otherwise an
   * upper bound from the old closure alone.
   */
  readonly download: { readonly paths: number; readonly bytes: number; readonly exact?: boolean };
  /** The kernel, its modules or the initrd differ: the host needs a reboot to run the new one. */
  readonly rebootNeeded: boolean;
  /** Store paths whose names the diff could not pair (no version), for the curious. */
  readonly unversionedChanged: number;
}
