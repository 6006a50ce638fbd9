import { useState } from 'react';
import { useChangesStore } from '../../stores/changes';

/** Commit every change with a message, or stash them: what a deploy needs to record its revision. */
export function CommitBox({ dirty }: { readonly dirty: boolean }) {
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const commit = useChangesStore((s) => s.commit);
  const stash = useChangesStore((s) => s.stash);
  const actionMessage = useChangesStore((s) => s.actionMessage);
  return (
    <form
      className="chg-commit"
      onSubmit={(e) => {
        e.preventDefault();
        if (!message.trim()) return;
        setBusy(true);
        void commit(message).then((ok) => {
          setBusy(false);
          if (ok) setMessage('');
        });
      }}
    >
      <textarea className="input" rows={2} placeholder="Commit message" aria-label="Commit message" value={message} onChange={(e) => setMessage(e.target.value)} disabled={!dirty || busy} />
      <div className="row">
        <button type="submit" className="btn primary" disabled={!dirty || busy || !message.trim()}>Commit all</button>
        <button type="button" className="btn" disabled={!dirty || busy} onClick={() => void stash()}>Stash</button>
      </div>
      {actionMessage ? <div className="muted chg-action" role="status">{actionMessage}</div> : null}
    </form>
  );
}
