import { useChangesStore } from '../../stores/changes';

function day(iso?: string): string {
  return iso ? iso.slice(0, 10) : '';
}

/** flake.lock inputs that moved since HEAD, and the "Update inputs" job. */
export function LockPanel() {
  const { lock, updateState, updateError, updateInputs } = useChangesStore();
  return (
    <div className="chg-panel" data-testid="lock-panel">
      <div className="row chg-panel-head">
        <strong>flake.lock</strong>
        <span className="spacer" />
        <button type="button" className="btn" disabled={updateState === 'running'} onClick={() => void updateInputs()}>
          {updateState === 'running' ? <span className="spinner" /> : null} Update inputs
        </button>
      </div>
      {updateError ? <div className="notice err">{updateError}</div> : null}
      {lock?.problem ? <div className="notice warn">{lock.problem}</div> : null}
      {!lock || lock.changes.length === 0 ? (
        <p className="muted">No input changed since HEAD.{updateState === 'done' ? ' The update found nothing newer.' : ''}</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Input</th>
              <th>Change</th>
              <th>Old</th>
              <th>New</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {lock.changes.map((c) => (
              <tr key={c.input}>
                <td>
                  <strong>{c.input}</strong>
                  <div className="faint mono">{c.source}</div>
                </td>
                <td>{c.change}</td>
                <td className="mono">
                  {c.oldRev?.slice(0, 10)} <span className="faint">{day(c.oldDate)}</span>
                </td>
                <td className="mono">
                  {c.newRev?.slice(0, 10)} <span className="faint">{day(c.newDate)}</span>
                </td>
                <td>{c.compareUrl ? <a href={c.compareUrl} target="_blank" rel="noreferrer noopener">compare</a> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {updateState === 'done' && lock && lock.changes.length > 0 ? <p className="muted">Review the new versions, then commit flake.lock.</p> : null}
    </div>
  );
}
