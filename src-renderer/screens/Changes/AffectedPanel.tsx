import type { AffectedMachine } from '../../../src-main/core/api';
import { useState } from 'react';
import { useAppStore } from '../../stores/app';
import { useChangesStore } from '../../stores/changes';
import { useJobsStore } from '../../stores/jobs';

/** The state of a machine in words and a badge colour: confirmed changes stand out from guesses. */
export function machineState(m: AffectedMachine): { text: string; tone: 'err' | 'warn' | 'ok' | 'accent' | '' } {
  if (m.evalError) return { text: 'evaluation failed', tone: 'err' };
  if (m.confirmed === true) return { text: m.removed ? 'removed' : m.added ? 'new' : 'confirmed changed', tone: 'warn' };
  if (m.confirmed === false) return { text: 'unchanged', tone: 'ok' };
  return { text: 'likely affected', tone: 'accent' };
}

/** The build target names of the machines worth building: confirmed changed, or likely when nothing was confirmed. */
export function buildTargetsOf(machines: readonly AffectedMachine[]): string[] {
  const confirmed = machines.some((m) => m.confirmed !== undefined);
  return machines
    .filter((m) => !m.removed && !m.evalError && (confirmed ? m.confirmed === true : m.likely))
    .map((m) => (m.kind === 'system' ? m.name : `${m.kind}:${m.name}`));
}

/** Which machines the changes reach: likely (layout rules) and confirmed (evaluation), with reasons. */
export function AffectedPanel({ onClosureDiff }: { readonly onClosureDiff: (machine: string) => void }) {
  const affected = useChangesStore((s) => s.affected);
  const state = useChangesStore((s) => s.affectedState);
  const error = useChangesStore((s) => s.affectedError);
  const [buildError, setBuildError] = useState<string | null>(null);
  if (!affected) return <div className="empty">{state === 'idle' ? 'Nothing to show yet.' : <span className="spinner" aria-label="Loading" />}</div>;
  const c = affected.confirmation;
  const targets = buildTargetsOf(affected.affected);
  const buildAll = () => {
    setBuildError(null);
    useJobsStore
      .getState()
      .startBuild(targets)
      .then(() => useAppStore.getState().navigate('builds'), (e: Error) => setBuildError(e.message));
  };
  return (
    <div className="chg-panel" data-testid="affected-panel">
      <div className="row chg-panel-head">
        <strong>
          {affected.affected.length} of {affected.machines.length} machines affected
        </strong>
        {state === 'confirming' ? (
          <span className="badge accent">
            <span className="spinner" /> confirming with nix…
          </span>
        ) : c.state === 'confirmed' ? (
          <span className="badge ok" title={c.message}>
            confirmed by evaluation{c.durationMs !== undefined ? ` in ${(c.durationMs / 1000).toFixed(1)} s` : ''}
          </span>
        ) : (
          <span className="badge" title={c.message}>
            {c.state === 'skipped' ? 'layout rules only' : c.state}
          </span>
        )}
        <span className="spacer" />
        <button type="button" className="btn" disabled={targets.length === 0 || state === 'confirming'} onClick={buildAll} title={targets.join(', ')}>
          Build all changed ({targets.length})
        </button>
      </div>
      {buildError ? <div className="notice err">{buildError}</div> : null}
      {error ? <div className="notice err">{error}</div> : null}
      {c.state === 'failed' || c.state === 'unavailable' ? <div className="notice warn">{c.message}</div> : null}
      {affected.affected.length === 0 ? <p className="muted">No system, home or droid is affected by these changes.</p> : null}
      <ul className="chg-machines">
        {affected.affected.map((m) => {
          const s = machineState(m);
          return (
            <li key={m.id} className="chg-machine" data-machine={m.id}>
              <div className="row">
                <span className="chg-machine-kind">{m.kind}</span>
                <strong>{m.name}</strong>
                <span className={`badge ${s.tone}`}>{s.text}</span>
                <span className="spacer" />
                {m.kind === 'system' && !m.removed ? (
                  <button type="button" className="btn" onClick={() => onClosureDiff(m.name)}>
                    Closure diff
                  </button>
                ) : null}
              </div>
              <ul className="chg-reasons">
                {m.reasons.slice(0, 4).map((r, i) => (
                  <li key={i} className="muted">
                    {r.path ? <code>{r.path}</code> : null} {r.message}
                  </li>
                ))}
                {m.reasonCount > 4 ? <li className="faint">and {m.reasonCount - 4} more</li> : null}
                {m.evalError ? <li className="error-text">{m.evalError}</li> : null}
              </ul>
            </li>
          );
        })}
      </ul>
      {affected.unmapped.length > 0 ? (
        <details className="chg-unmapped">
          <summary className="muted">{affected.unmapped.length} file(s) map to no machine</summary>
          <ul>
            {affected.unmapped.map((u) => (
              <li key={u.path}>
                <code>{u.path}</code> <span className="muted">{u.message}</span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
