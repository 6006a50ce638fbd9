import type { StageTiming } from '../../../src-main/core/api';

export interface TimelineRow {
  readonly target: string;
  readonly status: string;
  readonly stages: readonly StageTiming[];
}

const stageNames = ['preflight', 'build', 'copy', 'activate', 'reboot', 'checks', 'confirm', 'rollback'] as const;
const failed = new Set(['failed', 'rolled-back', 'cancelled']);

/**
 * After a deploy: one bar per host, its stages coloured, failures marked, on a shared time
 * axis, so a slow stage or host stands out at a glance. Plain SVG.
 */
export function Timeline({ rows, startedAt, finishedAt }: { readonly rows: readonly TimelineRow[]; readonly startedAt: number; readonly finishedAt: number }) {
  const labelW = 150;
  const width = 720;
  const rowH = 22;
  const axisH = 22;
  const plotW = width - labelW - 12;
  const span = Math.max(1, finishedAt - startedAt);
  const x = (t: number) => labelW + ((t - startedAt) / span) * plotW;
  const height = axisH + rows.length * rowH + 26;
  const ticks = niceTicks(span);
  return (
    <figure className="deploy-timeline" data-testid="deploy-timeline">
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label="Deploy timeline: one bar per host, stages coloured">
        {ticks.map((t) => (
          <g key={t}>
            <line x1={x(startedAt + t)} x2={x(startedAt + t)} y1={axisH - 4} y2={height - 26} className="tl-grid" />
            <text x={x(startedAt + t)} y={12} className="tl-tick" textAnchor="middle">
              {formatTick(t)}
            </text>
          </g>
        ))}
        {rows.map((row, i) => {
          const y = axisH + i * rowH;
          return (
            <g key={row.target} data-testid="timeline-row" data-target={row.target} data-status={row.status}>
              <text x={labelW - 8} y={y + rowH / 2 + 4} className={`tl-label${failed.has(row.status) ? ' tl-failed' : ''}`} textAnchor="end">
                <title>{row.target}</title>
                {row.target.length > 19 ? `${row.target.slice(0, 18)}…` : row.target}
              </text>
              {row.stages.map((s, j) => {
                const x0 = x(s.startedAt);
                const x1 = Math.max(x0 + 2, x(s.finishedAt ?? finishedAt));
                const bad = failed.has(s.status);
                return (
                  <rect key={j} x={x0} y={y + 4} width={x1 - x0} height={rowH - 8} rx={2} className={`tl-stage tl-${s.name}${bad ? ' tl-bad' : ''}`}>
                    <title>{`${row.target}: ${s.name} ${(((s.finishedAt ?? finishedAt) - s.startedAt) / 1000).toFixed(2)} s (${s.status})`}</title>
                  </rect>
                );
              })}
              {failed.has(row.status) && row.stages.length > 0 ? (
                <text x={x(row.stages.at(-1)!.finishedAt ?? finishedAt) + 6} y={y + rowH / 2 + 4} className="tl-mark">
                  ✕ {row.status}
                </text>
              ) : null}
            </g>
          );
        })}
        {stageNames.map((name, i) => (
          <g key={name} transform={`translate(${labelW + i * ((width - labelW) / stageNames.length)}, ${height - 16})`}>
            <rect width={12} height={10} rx={2} className={`tl-stage tl-${name}`} />
            <text x={16} y={9} className="tl-tick">
              {name}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

function niceTicks(spanMs: number): number[] {
  const steps = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];
  const step = steps.find((s) => spanMs / s <= 8) ?? 1_200_000;
  const ticks: number[] = [];
  for (let t = 0; t <= spanMs; t += step) ticks.push(t);
  return ticks;
}

function formatTick(ms: number): string {
  return ms < 60_000 ? `${Number((ms / 1000).toFixed(2))} s` : `${Math.round(ms / 60_000)} min`;
}
