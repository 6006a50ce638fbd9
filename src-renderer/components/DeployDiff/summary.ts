import { formatBytes, formatBytesChange } from '../../../src-main/shared/units';
import type { ClosureDiffReport, PackageDiff, WorkingChanges } from '../../../src-main/core/api';

/** What the deploy sheet says about one host's closure diff, line by line. */
export interface HostDiffSummary {
  /** 'unknown': the host's closure could not be listed; the deploy is still possible. */
  readonly state: 'ok' | 'unknown';
  /** "fish 3.7.1 → 3.7.2, +1 added, −0 removed". */
  readonly packages: string;
  /** "size 12 MiB → 12 MiB (+248 KiB)"; "" when the host side is unknown. */
  readonly size: string;
  /** "copies 6 paths, 248 KiB", "nothing to copy", or for an unknown host "may copy up to …". */
  readonly copy: string;
  /** "reboot needed (kernel 6.6.30 → 6.8.9)" when the kernel or initrd changes. */
  readonly reboot?: string;
  /** Why the host's side is unknown. */
  readonly why?: string;
  /** The build host the closure was built (and is listed) on, which sends it to the host. */
  readonly builtOn?: string;
}

/** How many version changes the one-line summary names before "and N more". */
const namedChanges = 3;


function versionsOf(list: readonly string[]): string {
  return list.filter((v) => v !== '').join(', ') || '?';
}

/** "fish 3.7.1 → 3.7.2" for a package whose version moved. */
export function versionChange(p: PackageDiff): string {
  return `${p.name} ${versionsOf(p.oldVersions)} → ${versionsOf(p.newVersions)}`;
}

/** The kernel's version change, when the kernel package itself moved. */
export function kernelChange(packages: readonly PackageDiff[]): string | undefined {
  const kernel = packages.find((p) => p.pname === 'linux' && (p.output === '' || p.output === 'out') && p.change !== 'rebuilt');
  if (!kernel || kernel.change === 'added' || kernel.change === 'removed') return undefined;
  return `kernel ${versionsOf(kernel.oldVersions)} → ${versionsOf(kernel.newVersions)}`;
}

/**
 * Summarise a `closure.diff` report of a host into the sheet's compact lines.
 * `nothingDeployed`: the pre-flight found no system on the host, so an unknown side means
 * "first deploy", not "unreachable".
 */
export function summariseHostDiff(report: ClosureDiffReport, options: { readonly nothingDeployed?: boolean } = {}): HostDiffSummary {
  const diff = report.diff;
  const builtOn = report.new.builtOn;
  // What a build host built, it sends to the host itself: "moonlight sends 6 paths".
  const copies = builtOn ? `${builtOn} sends` : 'copies';
  const where = builtOn ? { builtOn } : {};
  if (!diff || report.old.state === 'unknown') {
    const paths = report.new.paths ?? 0;
    return {
      state: 'unknown',
      packages: options.nothingDeployed ? 'first deploy (no system running to compare with)' : 'unknown (host unreachable)',
      // The whole new closure is the only size known; the copy line says it.
      size: '',
      copy: `${builtOn ? `${builtOn} may send` : 'may copy'} up to ${paths} path${paths === 1 ? '' : 's'}, ${formatBytes(report.new.bytes ?? 0)}`,
      ...(report.old.error ? { why: report.old.error.replace(/\.$/, '') } : {}),
      ...where,
    };
  }
  const moved = diff.packages.filter((p) => p.change === 'upgraded' || p.change === 'downgraded' || p.change === 'changed');
  const named = moved.slice(0, namedChanges).map(versionChange);
  if (moved.length > namedChanges) named.push(`${moved.length - namedChanges} more`);
  const counts = `+${diff.counts.added} added, −${diff.counts.removed} removed`;
  const packages = named.length > 0 ? `${named.join(', ')}, ${counts}` : `no version changes, ${counts}`;
  const { paths, bytes, exact } = diff.download;
  const copy = paths === 0 ? 'nothing to copy' : `${copies} ${exact === false || exact === undefined ? 'at most ' : ''}${paths} path${paths === 1 ? '' : 's'}, ${formatBytes(bytes)}`;
  const kernel = kernelChange(diff.packages);
  return {
    state: 'ok',
    packages,
    size: `size ${formatBytes(diff.oldSize)} → ${formatBytes(diff.newSize)} (${formatBytesChange(diff.sizeDelta)})`,
    copy,
    ...(diff.rebootNeeded ? { reboot: `reboot needed (${kernel ?? 'kernel modules or initrd changed'})` } : {}),
    ...where,
  };
}

/**
 * A key for "the checkout as it is now": HEAD plus every changed file and its line
 * counts. Two diffs with the same key would build the same thing, so one result serves.
 */
export function checkoutKey(changes: WorkingChanges): string {
  const files = changes.files
    .map((f) => `${f.path}:${f.staged ? 's' : 'w'}:${f.added ?? 'b'}:${f.removed ?? 'b'}`)
    .sort()
    .join('|');
  return `${changes.repo.head ?? 'no-head'}#${files}`;
}

/** Where one host's closure diff stands in the sheet. */
export type HostDiffRun =
  | { readonly state: 'queued' }
  | { readonly state: 'starting' }
  | { readonly state: 'running'; readonly jobId: string }
  | { readonly state: 'done'; readonly report: ClosureDiffReport }
  | { readonly state: 'failed'; readonly error: string };

/**
 * Which queued diffs to start now, in the order given, so that at most `limit` run at
 * once (each builds a system and opens an SSH connection; more at once only contend).
 */
export function diffsToStart(order: readonly string[], runs: Readonly<Record<string, HostDiffRun | undefined>>, limit: number): string[] {
  let busy = order.filter((k) => runs[k]?.state === 'running' || runs[k]?.state === 'starting').length;
  const start: string[] = [];
  for (const key of order) {
    if (busy >= limit) break;
    if (runs[key]?.state === 'queued') {
      start.push(key);
      busy++;
    }
  }
  return start;
}
