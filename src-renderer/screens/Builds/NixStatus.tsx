import { useEffect, useState } from 'react';
import type { NixInfo } from '../../../src-main/core/api';
import { client } from '../../client';

/** Which nix the core found; when none, how to install it (the app stays read-only). */
export function NixStatus({ onInfo }: { readonly onInfo?: (info: NixInfo) => void }) {
  const [info, setInfo] = useState<NixInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client()
      .invoke('nix.info', {})
      .then((i) => {
        if (!live) return;
        setInfo(i);
        onInfo?.(i);
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [onInfo]);
  if (error) return <div className="notice err">{error}</div>;
  if (!info) return <span className="muted"><span className="spinner small" /> Looking for nix…</span>;
  if (!info.found) {
    return (
      <div className="notice warn" data-testid="nix-missing">
        <div className="stack">
          <strong>Nix is not available, so nothing can be built.</strong>
          <span>{info.install?.message ?? info.problem}</span>
          {info.problem ? <span className="muted">{info.problem}</span> : null}
          <ol className="builds-install">
            {(info.install?.steps ?? []).map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ol>
        </div>
      </div>
    );
  }
  const flavour = info.flavour === 'lix' ? 'Lix' : info.flavour === 'determinate' ? 'Determinate Nix' : 'Nix';
  return (
    <span className="badge ok" data-testid="nix-version" title={info.path}>
      {flavour} {info.version}
      {info.system ? ` · ${info.system}` : ''}
    </span>
  );
}
