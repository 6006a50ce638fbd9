import { useState } from 'react';
import { client } from '../../client';
import { LogBuffer, LogView } from '../LogViewer';

/** A failed derivation's whole build log (`nix log`), fetched when asked for. */
export function DerivationLog({ drv }: { readonly drv: string }) {
  const [state, setState] = useState<{ buffer: LogBuffer; truncated: boolean } | { error: string } | 'loading' | null>(null);
  const load = () => {
    setState('loading');
    client()
      .invoke('build.derivationLog', { drv })
      .then((r) => {
        const buffer = new LogBuffer(Math.max(1, r.lines.length));
        for (const line of r.lines) buffer.push(line);
        setState({ buffer, truncated: r.truncated });
      })
      .catch((e: Error & { hint?: string }) => setState({ error: `${e.message}${e.hint ? ` ${e.hint}` : ''}` }));
  };
  if (state === null) {
    return (
      <button className="btn" type="button" onClick={load} data-testid="derivation-log-open">
        Show its whole log
      </button>
    );
  }
  if (state === 'loading') return <span className="muted"><span className="spinner small" /> Reading nix log…</span>;
  if ('error' in state) return <div className="error-text">{state.error}</div>;
  return (
    <div className="job-drv-log" data-testid="derivation-log">
      <LogView buffer={state.buffer} version={1} footer={state.truncated ? 'Only the last 200,000 lines are shown.' : `nix log ${drv}`} />
    </div>
  );
}
