import type { PackageDiff } from '../../../src-main/core/api';

const changeTone = { upgraded: 'accent', downgraded: 'warn', changed: 'warn', added: 'ok', removed: 'err', rebuilt: '' } as const;

/** "3.7.1 → 3.7.2", or the one side for an added or removed package. */
function versions(p: PackageDiff): string {
  if (p.change === 'added') return p.newVersions.join(', ');
  if (p.change === 'removed') return p.oldVersions.join(', ');
  return `${p.oldVersions.join(', ')} → ${p.newVersions.join(', ')}`;
}

/**
 * The packages a closure diff changes, like nvd's list: name, kind of change, versions
 * and size change. Rebuilds without a version change are left out (callers count them).
 * Shared by the Changes screen and the deploy sheet.
 */
export function PackageChangesTable({
  packages,
  formatSize,
  className = 'grid',
}: {
  readonly packages: readonly PackageDiff[];
  readonly formatSize: (bytes: number) => string;
  readonly className?: string;
}) {
  return (
    <table className={className}>
      <thead>
        <tr>
          <th>Package</th>
          <th>Change</th>
          <th>Version</th>
          <th className="num">Size</th>
        </tr>
      </thead>
      <tbody>
        {packages
          .filter((p) => p.change !== 'rebuilt')
          .map((p) => (
            <tr key={`${p.name}-${p.change}`}>
              <td className="mono">{p.name}</td>
              <td>
                <span className={`badge ${changeTone[p.change]}`}>{p.change}</span>
              </td>
              <td className="mono">{versions(p)}</td>
              <td className="num mono">{formatSize(p.sizeDelta)}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
