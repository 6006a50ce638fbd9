import { ClosureChart } from '../../components/DiffViewer/ClosureChart';
import { formatBytes, formatBytesChange } from '../../../src-main/shared/units';
import { PackageChangesTable } from '../../components/DiffViewer';
import { useChangesStore } from '../../stores/changes';

/** A closure diff like nvd: versions and sizes per package, what to copy, and the size chart beside it. */
export function ClosurePanel({ systems }: { readonly systems: readonly string[] }) {
  const { closure, closureMachine, closureState, closureError, closureDiff } = useChangesStore();
  return (
    <div className="chg-panel" data-testid="closure-panel">
      <div className="row chg-panel-head">
        <label className="row">
          Machine
          <select className="input" value={closureMachine ?? ''} onChange={(e) => e.target.value && void closureDiff(e.target.value)}>
            <option value="">choose…</option>
            {systems.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {closureMachine ? (
          <>
            <button type="button" className="btn" disabled={closureState === 'running'} onClick={() => void closureDiff(closureMachine)}>
              Against running host
            </button>
            <button type="button" className="btn" disabled={closureState === 'running'} onClick={() => void closureDiff(closureMachine, 'HEAD')}>
              Against HEAD
            </button>
          </>
        ) : null}
        {closureState === 'running' ? (
          <span className="badge accent">
            <span className="spinner" /> building and listing…
          </span>
        ) : null}
      </div>
      {closureError ? <div className="notice err">{closureError}</div> : null}
      {!closure && closureState !== 'running' ? <p className="muted">Pick a system to see what a deploy would install: it is built here and compared with what the host runs, before anything is copied.</p> : null}
      {closure ? (
        <>
          <p className="muted chg-sides">
            <strong>{closure.old.label}</strong> → <strong>{closure.new.label}</strong>
          </p>
          {!closure.diff ? (
            <div className="notice warn" data-testid="closure-unknown">
              Closure diff unknown: {closure.old.error}. The deploy is still possible; it may copy up to {closure.new.paths} paths ({formatBytes(closure.new.bytes ?? 0)}).
            </div>
          ) : (
            <>
              <div className="chg-summary">
                <span className="badge accent">{closure.diff.counts.upgraded} upgraded</span>
                <span className="badge warn">{closure.diff.counts.downgraded} downgraded</span>
                <span className="badge ok">{closure.diff.counts.added} added</span>
                <span className="badge err">{closure.diff.counts.removed} removed</span>
                <span className="badge">{closure.diff.counts.rebuilt} rebuilt</span>
                <span className="badge">
                  size {formatBytes(closure.diff.oldSize)} → {formatBytes(closure.diff.newSize)} ({formatBytesChange(closure.diff.sizeDelta)})
                </span>
                <span className="badge accent" data-testid="closure-download">
                  to copy: {closure.diff.download.paths} paths, {formatBytes(closure.diff.download.bytes)}
                  {closure.old.source === 'host' && !closure.diff.download.exact ? ' at most' : ''}
                </span>
                {closure.diff.rebootNeeded ? <span className="badge warn">kernel/initrd changed: reboot needed</span> : null}
              </div>
              <div className="chg-closure">
                <PackageChangesTable packages={closure.diff.packages} formatSize={formatBytesChange} className="grid chg-closure-table" />
                <div className="chg-chart">
                  <h3>Biggest size changes</h3>
                  <ClosureChart growers={closure.chart?.growers ?? []} shrinkers={closure.chart?.shrinkers ?? []} />
                </div>
              </div>
            </>
          )}
        </>
      ) : null}
    </div>
  );
}
