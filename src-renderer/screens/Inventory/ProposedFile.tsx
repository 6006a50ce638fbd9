import type { FileDiff } from '../../../src-main/core/api';
import { DiffViewer } from '../../components/DiffViewer';

/** A file the app offers to write, as the core previewed it. */
export interface Proposal {
  readonly file: string;
  readonly diff: FileDiff;
  /** What writing it also means (it replaces a file, it still needs an import). */
  readonly notes: readonly string[];
}

/**
 * The diff of a file before it is written, with Write and Back. A diff with no change says
 * so and offers nothing to write.
 */
export function ProposedFile({ proposal, busy, onWrite, onBack }: { readonly proposal: Proposal; readonly busy: boolean; readonly onWrite: () => void; readonly onBack: () => void }) {
  const unchanged = proposal.diff.patch === '';
  return (
    <div className="stack install-proposal" data-testid="install-proposal" data-file={proposal.file}>
      <div className="muted">
        {unchanged ? 'Already as it would be written: ' : 'What will be written to '}
        <span className="mono">{proposal.file}</span>
        {unchanged ? '' : ' (then staged in git):'}
      </div>
      {unchanged ? null : <DiffViewer diff={proposal.diff} viewType="unified" />}
      {proposal.notes.map((note) => (
        <div key={note} className="notice info">
          {note}
        </div>
      ))}
      <div className="row">
        <button className="btn" type="button" onClick={onBack} disabled={busy}>
          Back
        </button>
        {unchanged ? null : (
          <button className="btn primary" type="button" onClick={onWrite} disabled={busy} data-testid="install-proposal-write">
            {busy ? 'Writing…' : `Write ${proposal.file.split('/').pop() ?? proposal.file}`}
          </button>
        )}
      </div>
    </div>
  );
}
