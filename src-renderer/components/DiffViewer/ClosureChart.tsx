import { formatBytesChange } from '../../../src-main/shared/units';
import type { PackageDiff } from '../../../src-main/core/api';


const rowHeight = 22;
const labelWidth = 150;
const barWidth = 105;
const valueWidth = 72;

/**
 * The biggest growers and shrinkers of a closure diff as horizontal bars around a zero
 * line: growth to the right, shrinking to the left, scaled to the largest change.
 */
export function ClosureChart({ growers, shrinkers }: { readonly growers: readonly PackageDiff[]; readonly shrinkers: readonly PackageDiff[] }) {
  const rows = [...growers, ...shrinkers];
  if (rows.length === 0) return <p className="muted closure-chart-empty">No package changed size.</p>;
  const max = Math.max(...rows.map((r) => Math.abs(r.sizeDelta)), 1);
  const width = labelWidth + barWidth * 2 + valueWidth;
  const height = rows.length * rowHeight + 8;
  const zero = labelWidth + barWidth;
  return (
    <svg className="closure-chart" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Biggest size changes">
      <line x1={zero} x2={zero} y1={0} y2={height} className="closure-chart-axis" />
      {rows.map((row, i) => {
        const y = 4 + i * rowHeight;
        const w = Math.max(2, (Math.abs(row.sizeDelta) / max) * barWidth);
        const grows = row.sizeDelta > 0;
        return (
          <g key={`${row.name}-${i}`}>
            <title>{`${row.name}: ${formatBytesChange(row.sizeDelta)}`}</title>
            <text x={labelWidth - 8} y={y + rowHeight / 2 + 4} textAnchor="end" className="closure-chart-label">
              {row.name.length > 20 ? `${row.name.slice(0, 19)}…` : row.name}
            </text>
            <rect x={grows ? zero : zero - w} y={y + 3} width={w} height={rowHeight - 8} rx={3} className={grows ? 'closure-chart-grow' : 'closure-chart-shrink'} />
            <text x={width - 4} y={y + rowHeight / 2 + 4} textAnchor="end" className="closure-chart-value">
              {formatBytesChange(row.sizeDelta)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
