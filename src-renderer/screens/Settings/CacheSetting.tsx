import { useEffect, useState, type FormEvent } from 'react';
import type { HostCacheTrust } from '../../../src-main/core/api';
import { client } from '../../client';
import { ErrorNotice, type ErrorWithHint } from '../../components/ErrorNotice';
import { useDeployStore } from '../../stores/deploy';
import './settings.css';

/** A store URL the cache field takes, checked as the person types (the core checks it again when saved). */
function urlProblem(url: string): string | null {
  if (url === '') return null;
  if (/\s/.test(url)) return 'a URL has no spaces';
  if (url.startsWith('file://')) return url.slice(7).startsWith('/') ? null : 'file:// needs an absolute path: file:///srv/nix-cache';
  if (url.startsWith('ssh://')) return /^ssh:\/\/([A-Za-z_][A-Za-z0-9._-]*@)?[A-Za-z0-9][A-Za-z0-9.-]*$/.test(url) ? null : 'ssh://host or ssh://user@host (a port goes in ~/.ssh/config)';
  if (url.startsWith('s3://')) return /^s3:\/\/[a-z0-9][a-z0-9.-]{1,62}(\?.*)?$/.test(url) ? null : 's3:// needs a bucket name: s3://my-nix-cache';
  return 'file://, ssh:// or s3://';
}

function TrustList({ hosts }: { readonly hosts: readonly HostCacheTrust[] }) {
  return (
    <table className="grid" data-testid="cache-trust">
      <thead>
        <tr>
          <th>Host</th>
          <th>Takes paths from the cache</th>
        </tr>
      </thead>
      <tbody>
        {hosts.map((h) => (
          <tr key={h.target} data-testid="cache-trust-host" data-target={h.target} data-trusts={h.online && h.trustsKey && h.usesCache ? 'yes' : 'no'}>
            <td>
              <strong>{h.target}</strong>
            </td>
            <td>
              {!h.online ? (
                <span className="badge err" title={h.error}>offline</span>
              ) : h.trustsKey && h.usesCache ? (
                <span className="badge ok">yes: fetches from the cache first</span>
              ) : (
                <span className="badge warn">
                  no: {[h.trustsKey ? '' : 'does not trust the key', h.usesCache ? '' : 'the cache is not a substituter'].filter(Boolean).join(', ')}; gets everything from here
                </span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The homelab's binary cache: its URL, the key that signs what is pushed, and the public key
 * hosts must trust; per host, whether it does. Only the desktop window may change where the
 * app pushes closures (the WebSocket bridge refuses cache.set); a browser shows it read-only
 * with the command that changes it.
 */
export function CacheSetting() {
  const cache = useDeployStore((s) => s.cache);
  const loadError = useDeployStore((s) => s.cacheError);
  const editable = client().bridge.kind === 'desktop';
  const [url, setUrl] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState<ErrorWithHint | null>(null);
  const [saving, setSaving] = useState(false);
  const [trust, setTrust] = useState<readonly HostCacheTrust[] | null>(null);
  const [trustState, setTrustState] = useState<'idle' | 'reading' | string>('idle');
  useEffect(() => {
    void useDeployStore.getState().loadCache();
  }, []);
  useEffect(() => {
    setUrl(cache?.url ?? '');
    setKey(cache?.secretKeyFile ?? '');
  }, [cache]);
  const problem = urlProblem(url.trim()) ?? (key.trim() && !key.trim().startsWith('/') ? 'the key path must be absolute' : null);
  // What is typed is what the core keeps: nothing to save (the form says so, instead of a Save that does nothing).
  const unchanged = cache !== undefined && url.trim() === (cache?.url ?? '') && key.trim() === (cache?.secretKeyFile ?? '');
  const save = (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    useDeployStore
      .getState()
      .setCache(url.trim() === '' ? null : url.trim(), key.trim() || undefined)
      .catch((e: Error & { hint?: string }) => setError({ message: e.message, ...(e.hint ? { hint: e.hint } : {}) }))
      .finally(() => setSaving(false));
  };
  const readTrust = () => {
    setTrustState('reading');
    useDeployStore
      .getState()
      .cacheTrust()
      .then((hosts) => {
        setTrust(hosts);
        setTrustState('idle');
      })
      .catch((e: Error) => setTrustState(e.message));
  };
  return (
    <div className="stack" data-testid="cache-setting" data-set={cache ? 'yes' : 'no'}>
      {cache === undefined ? (
        <div className="row muted">
          <span className="spinner" /> Reading the cache setting…
        </div>
      ) : null}
      {loadError ? <div className="notice warn" role="alert">{loadError}</div> : null}
      {editable ? (
        <form className="stack" onSubmit={save}>
          {cache === null ? (
            <p className="muted" data-testid="cache-none">
              No binary cache set: every host gets its closure from here or its build host. Set one to push builds there, signed with your key, and let the hosts that trust
              the key fetch from it.
            </p>
          ) : null}
          <label className="row">
            <span style={{ width: 180 }}>Cache URL</span>
            <input className="input mono" style={{ flex: 1 }} value={url} onChange={(e) => setUrl(e.target.value)} placeholder="ssh://cache, file:///srv/nix-cache or s3://bucket" data-testid="cache-url" spellCheck={false} />
          </label>
          <label className="row">
            <span style={{ width: 180 }}>Signing key (secret)</span>
            <input className="input mono" style={{ flex: 1 }} value={key} onChange={(e) => setKey(e.target.value)} placeholder="/home/you/.config/nix/cache-secret-key" data-testid="cache-key" spellCheck={false} />
          </label>
          <div className="row">
            <span style={{ width: 180 }} />
            <button className="btn primary" type="submit" disabled={saving || unchanged || problem !== null || (url.trim() !== '' && key.trim() === '')} data-testid="cache-save">
              {saving ? 'Checking…' : url.trim() === '' && cache ? 'Clear cache' : 'Save'}
            </button>
            {problem ? <span className="error-text" data-testid="cache-url-problem">{problem}</span> : null}
            {!problem && unchanged && cache && !saving ? (
              <span className="muted" data-testid="cache-saved">
                Saved. <code>fleet build --push</code> signs what it built and copies it there.
              </span>
            ) : null}
          </div>
        </form>
      ) : cache ? (
        <div className="stack">
          <div className="row">
            <span style={{ width: 180 }}>Cache URL</span>
            <code className="mono" data-testid="cache-url-readonly">{cache.url}</code>
          </div>
          <div className="row">
            <span style={{ width: 180 }}>Signing key (secret)</span>
            <code className="mono">{cache.secretKeyFile}</code>
          </div>
        </div>
      ) : cache === null ? (
        <p className="muted" data-testid="cache-none">No binary cache set: every host gets its closure from here or its build host.</p>
      ) : null}
      {error ? <ErrorNotice error={error} testId="cache-error" alert /> : null}
      {cache ? (
        <div className="stack">
          <div className="row">
            <span style={{ width: 180 }}>Hosts must trust</span>
            <code className="mono" data-testid="cache-public-key">{cache.publicKey}</code>
          </div>
          <p className="faint">In each host's configuration (hosts that trust it fetch what the cache has themselves; the rest comes from here or their build host):</p>
          <pre className="mono cache-snippet" data-testid="cache-snippet">{`nix.settings.substituters = [ "${cache.url}" ];\nnix.settings.trusted-public-keys = [ "${cache.publicKey}" ];`}</pre>
          <div className="row">
            <button className="btn" type="button" onClick={readTrust} disabled={trustState === 'reading'} data-testid="cache-trust-read">
              {trustState === 'reading' ? 'Asking the hosts…' : 'Which hosts trust it?'}
            </button>
            {trustState !== 'idle' && trustState !== 'reading' ? <span className="error-text">{trustState}</span> : null}
          </div>
          {trust ? <TrustList hosts={trust} /> : null}
        </div>
      ) : null}
      {editable ? null : (
        <p className="faint">
          A browser page cannot choose where the app pushes closures: change it in the desktop app's Settings or with{' '}
          <code>fleet cache set ssh://cache --key /path/to/secret-key</code> (<code>fleet cache set none</code> clears it).
        </p>
      )}
    </div>
  );
}
