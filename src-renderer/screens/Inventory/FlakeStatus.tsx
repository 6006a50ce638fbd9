import { useState } from 'react';
import type { Inventory } from '../../../src-main/core/api';
import { client } from '../../client';
import { Icon } from '../../components/Icon';
import { useInventoryStore } from '../../stores/inventory';
import { LayoutRootControl } from './LayoutRootControl';

/** file:line of a nix error, with a button to open it in the person's editor. */
function SourceLocation({ location, root }: { readonly location: NonNullable<Inventory['flake']['location']>; readonly root: string }) {
  const [problem, setProblem] = useState<string | null>(null);
  const open = async () => {
    setProblem(null);
    try {
      await client().invoke('editor.open', { file: location.file, line: location.line, ...(location.column !== undefined ? { column: location.column } : {}) });
    } catch (error) {
      setProblem((error as Error).message);
    }
  };
  const shown = location.file.startsWith(`${root}/`) ? location.file.slice(root.length + 1) : location.file;
  return (
    <div className="inv-small inv-location">
      <span className="mono" data-testid="flake-location" title={location.file}>
        {shown}:{location.line}
        {location.column !== undefined ? `:${location.column}` : ''}
      </span>{' '}
      <button className="btn inv-link" onClick={() => void open()}>
        Open in editor
      </button>
      {problem ? <div className="error-text">{problem}</div> : null}
    </div>
  );
}

/**
 * What nix said about the flake: checking (the scan is shown meanwhile), evaluated, or
 * why it could not be read, with the file and line nix named, and the checkout's own
 * warnings (layout, .sops.yaml) one click away.
 */
export function FlakeStatus({ inventory }: { readonly inventory: Inventory }) {
  const evaluate = useInventoryStore((s) => s.evaluate);
  const flake = inventory.flake;
  const checkoutWarnings = inventory.warnings.filter((w) => !w.message.startsWith('The flake could not be evaluated'));
  return (
    <div className="inv-status" data-testid="flake-status" data-state={flake.state}>
      {flake.state === 'pending' ? (
        <div className="row muted">
          <span className="spinner" /> Asking nix for the flake’s configurations…
        </div>
      ) : flake.state === 'ok' ? (
        <div className="row muted">
          <span className="inv-ok">
            <Icon name="check" size={14} />
          </span>
          Checked against the flake ({flake.durationMs ?? '?'} ms)
          <button className="btn inv-link" onClick={() => void evaluate()} title="Evaluate the flake again">
            <Icon name="refresh" size={12} />
          </button>
        </div>
      ) : (
        <div className="notice warn" role="status">
          <Icon name="warning" />
          <div className="inv-grow">
            <div>
              <strong>The flake could not be read</strong>: {flake.error ?? 'unknown error'}
            </div>
            {flake.location ? <SourceLocation location={flake.location} root={inventory.root} /> : null}
            <div className="muted inv-small">Showing what the directory scan found.</div>
          </div>
          <button className="btn" onClick={() => void evaluate()}>
            <Icon name="refresh" size={14} /> Retry
          </button>
        </div>
      )}
      <details className="inv-checkout-warnings" data-testid="checkout-warnings">
        <summary>
          Checkout{inventory.layoutRoot !== inventory.root ? ` (layout in ${inventory.layoutRoot.slice(inventory.root.length + 1)}/)` : ''}
          {checkoutWarnings.length > 0 ? ` · ${checkoutWarnings.length} note${checkoutWarnings.length === 1 ? '' : 's'}` : ''}
        </summary>
        <LayoutRootControl inventory={inventory} />
        {checkoutWarnings.length > 0 ? (
          <ul>
            {checkoutWarnings.map((w, i) => (
              <li key={i} className={`inv-warning ${w.severity}`}>
                {w.message}
              </li>
            ))}
          </ul>
        ) : null}
      </details>
    </div>
  );
}
