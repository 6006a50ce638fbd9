import { useState, type FormEvent } from 'react';
import { client } from '../../client';
import { useAppStore } from '../../stores/app';
import { Icon } from '../../components/Icon';

/**
 * Open a homelab checkout: the native folder picker in the desktop app, a path field in
 * the browser, and the recent checkouts. When a folder is not a homelab, say why.
 */
export function OpenScreen() {
  const settings = useAppStore((s) => s.settings);
  const info = useAppStore((s) => s.info);
  const checkout = useAppStore((s) => s.checkout);
  const openError = useAppStore((s) => s.openError);
  const opening = useAppStore((s) => s.opening);
  const openCheckout = useAppStore((s) => s.openCheckout);
  const forget = useAppStore((s) => s.forgetCheckout);
  const [path, setPath] = useState('');
  const bridge = client().bridge;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (path.trim()) void openCheckout(path.trim());
  };
  const pick = async () => {
    const folder = await bridge.pickFolder?.();
    if (folder) void openCheckout(folder);
  };
  const recent = settings?.recent ?? [];

  return (
    <div className="page" data-testid="open-screen">
      <h1>Open a homelab</h1>
      <p className="lede">Pick the folder of your homelab checkout: the git repository holding flake.nix.</p>
      <div className="card">
        <div className="card-body stack">
          {bridge.pickFolder ? (
            <div className="row">
              <button className="btn primary" onClick={() => void pick()} disabled={opening}>
                <Icon name="folder" size={14} /> Choose folder…
              </button>
              <span className="muted">or type a path below</span>
            </div>
          ) : null}
          <form className="row" onSubmit={submit}>
            <input
              className="input mono"
              style={{ flex: 1 }}
              placeholder="/home/you/homelab"
              aria-label="Path of the homelab checkout"
              data-testid="open-path"
              value={path}
              onChange={(e) => setPath(e.target.value)}
              spellCheck={false}
            />
            <button className="btn primary" type="submit" disabled={opening || !path.trim()} data-testid="open-submit">
              {opening ? <span className="spinner" /> : null} Open
            </button>
          </form>
          {openError ? (
            <div className="notice err" role="alert" data-testid="open-error">
              <Icon name="warning" />
              <div>
                <div>{openError.message}</div>
                {openError.hint ? <div className="muted">{openError.hint}</div> : null}
              </div>
            </div>
          ) : null}
        </div>
      </div>

      <div className="card">
        <div className="card-body">
          <h2>Recent</h2>
          {recent.length === 0 ? (
            <p className="muted">Checkouts you open are remembered here.</p>
          ) : (
            <ul className="recent-list" data-testid="recent-list">
              {recent.map((root) => (
                <li key={root}>
                  <Icon name="folder" />
                  <span className="path mono" title={root}>{root}</span>
                  {checkout?.root === root ? <span className="badge accent">open</span> : null}
                  <button className="btn" onClick={() => void openCheckout(root)} disabled={opening}>Open</button>
                  <button className="btn" title="Remove from the list" onClick={() => void forget(root)}>
                    <Icon name="close" size={12} />
                  </button>
                </li>
              ))}
            </ul>
          )}
          {info?.exampleHomelab && !recent.includes(info.exampleHomelab) ? (
            <p className="muted">
              Just looking?{' '}
              <button className="btn" onClick={() => void openCheckout(info.exampleHomelab!)}>Open the example homelab</button>
            </p>
          ) : null}
        </div>
      </div>
    </div>
  );
}
