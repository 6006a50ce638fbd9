import type { PackageDiff } from '../../../src-main/core/api';
import { formatBytesChange } from '../../../src-main/shared/units';
import { PackageChangesTable } from '../DiffViewer';

/** Every package a deploy changes on one host, like nvd's list (rebuilds without a version change left out). */
export function PackageTable({ packages, rebuilt }: { readonly packages: readonly PackageDiff[]; readonly rebuilt: number }) {
  const shown = packages.filter((p) => p.change !== 'rebuilt');
  return (
    <div className="deploy-diff-packages" data-testid="deploy-diff-packages">
      {shown.length === 0 ? <p className="muted">No package changes its version; {rebuilt} rebuilt.</p> : null}
      {shown.length > 0 ? (
        <PackageChangesTable packages={shown} formatSize={formatBytesChange} />
      ) : null}
      {shown.length > 0 && rebuilt > 0 ? <p className="faint">and {rebuilt} rebuilt without a version change</p> : null}
    </div>
  );
}
