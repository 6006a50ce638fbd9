import { useEffect, useRef, useState, type FormEvent } from 'react';
import { usePromptsStore } from '../stores/prompts';
import { Icon } from './Icon';

/**
 * The question a running job is waiting on: accept a new host key (with its SHA256
 * fingerprint), type a sudo password or key passphrase (kept in the core's memory only),
 * or confirm a step (typing the name of what it destroys, when it says so). One at a time,
 * oldest first.
 */
export function PromptSheet() {
  const request = usePromptsStore((s) => s.pending[0]);
  const answer = usePromptsStore((s) => s.answer);
  const [secret, setSecret] = useState('');
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setSecret('');
    input.current?.focus();
  }, [request?.id]);

  if (!request) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void answer(request.id, true, request.kind === 'secret' || request.confirmText !== undefined ? secret : undefined);
    setSecret('');
  };
  const decline = () => {
    void answer(request.id, false);
    setSecret('');
  };
  const acceptLabel = request.kind === 'host-key' ? 'Trust this host' : request.kind === 'secret' ? 'Continue' : 'Yes';
  // A confirmation that asks to type a name destroys what it names (a disk): it looks like it.
  const destructive = request.kind === 'confirm' && request.confirmText !== undefined;
  return (
    <div className="sheet-backdrop" role="presentation">
      <form className="sheet" role="dialog" aria-modal="true" aria-labelledby="prompt-title" onSubmit={submit} data-testid="prompt-sheet">
        <header id="prompt-title" className="row">
          <Icon name={request.kind === 'host-key' || destructive ? 'warning' : 'settings'} /> {request.title}
        </header>
        <div className="sheet-body stack">
          <p style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{request.message}</p>
          {request.fingerprint ? (
            <div className="notice info">
              <div>
                <div className="muted">Key fingerprint</div>
                <code data-testid="prompt-fingerprint">{request.fingerprint}</code>
              </div>
            </div>
          ) : null}
          {request.kind === 'secret' ? (
            <label className="stack">
              <span className="muted">{request.secretLabel ?? 'Secret'}</span>
              <input
                ref={input}
                className="input"
                type="password"
                autoComplete="off"
                value={secret}
                onChange={(e) => setSecret(e.target.value)}
                data-testid="prompt-secret"
              />
              <span className="faint">Kept in memory for this run only; never written to logs or history.</span>
            </label>
          ) : null}
          {request.kind === 'confirm' && request.confirmText !== undefined ? (
            <label className="stack">
              <span className="muted">
                Type <strong className="mono">{request.confirmText}</strong> to confirm
              </span>
              <input
                ref={input}
                className="input mono"
                autoComplete="off"
                spellCheck={false}
                value={secret}
                placeholder={request.confirmText}
                onChange={(e) => setSecret(e.target.value.trim())}
                data-testid="prompt-confirm-text"
              />
            </label>
          ) : null}
        </div>
        <footer>
          <button type="button" className="btn" onClick={decline} data-testid="prompt-decline">
            {request.kind === 'host-key' ? 'Refuse' : 'Cancel'}
          </button>
          <button type="submit" className={destructive ? 'btn primary danger-fill' : 'btn primary'} data-testid="prompt-accept" disabled={(request.kind === 'secret' && !secret) || (request.confirmText !== undefined && secret !== request.confirmText)}>
            {acceptLabel}
          </button>
        </footer>
      </form>
    </div>
  );
}
