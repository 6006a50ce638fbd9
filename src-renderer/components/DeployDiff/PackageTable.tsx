import type { PackageDiff } from '../../../src-main/core/closure/types';
import { formatDelta } from './summary';

const changeTone = { upgraded: 'accent', downgraded: 'warn', changed: 'warn', added: 'ok', removed: 'err', rebuilt: '' } as const;

function versions(p: PackageDiff): string {
  if (p.change === 'added') return p.newVersions.join(', ');
  if (p.change === 'removed') return p.oldVersions.join(', ');
  return `${p.oldVersions.join(', ')} → ${p.newVersions.join(', ')}`;
}

/** Every package a deploy changes on one host, like nvd's list (rebuilds without a version change left out). */
export function PackageTable({ packages, rebuilt }: { readonly packages: readonly PackageDiff[]; readonly rebuilt: number }) {
  const shown = packages.filter((p) => p.change !== 'rebuilt');
  return (
    <div className="deploy-diff-packages" data-testid="deploy-diff-packages">
      {shown.length === 0 ? <p className="muted">No package changes its version; {rebuilt} rebuilt.</p> : null}
      {shown.length > 0 ? (
        <table className="grid">
          <thead>
            <tr>
              <th>Package</th>
              <th>Change</th>
              <th>Version</th>
              <th className="num">Size</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={`${p.name}-${p.change}`}>
                <td className="mono">{p.name}</td>
                <td>
                  <span className={`badge ${changeTone[p.change]}`}>{p.change}</span>
                </td>
                <td className="mono">{versions(p)}</td>
                <td className="num mono">{formatDelta(p.sizeDelta)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {shown.length > 0 && rebuilt > 0 ? <p className="faint">and {rebuilt} rebuilt without a version change</p> : null}
    </div>
  );
}
