import { useMemo } from 'react';
import { Decoration, Diff, Hunk, parseDiff, tokenize, type HunkData, type TokenizeOptions } from 'react-diff-view';
import 'react-diff-view/style/index.css';
import './diff-viewer.css';
import type { FileDiff } from '../../../src-main/core/api';
import { formatBytes } from '../../../src-main/shared/units';
import { canHighlight, diffRefractor } from './highlight';

/** Above this many changed lines, syntax highlighting is skipped to keep the viewer quick. */
const highlightLineLimit = 1500;

/**
 * One file's patch, unified or side by side, highlighted for .nix/.json/.yaml. Binary
 * files and patches cut by the core (huge diffs) say so instead of freezing the window.
 */
export function DiffViewer({ diff, viewType }: { readonly diff: FileDiff; readonly viewType: 'unified' | 'split' }) {
  const files = useMemo(() => (diff.binary || diff.patch === '' ? [] : parseDiff(diff.patch, { nearbySequences: 'zip' })), [diff]);
  const file = files[0];
  const tokens = useMemo(() => {
    if (!file || !canHighlight(diff.language)) return undefined;
    const lines = file.hunks.reduce((n, h) => n + h.changes.length, 0);
    if (lines > highlightLineLimit) return undefined;
    try {
      return tokenize(file.hunks, { highlight: true, refractor: diffRefractor, language: diff.language } as unknown as TokenizeOptions);
    } catch {
      return undefined; // a grammar that chokes on a fragment: show it plain
    }
  }, [file, diff.language]);

  if (diff.binary) {
    return (
      <div className="diffv-note" data-testid="diff-binary">
        <strong>{diff.path}</strong> is a binary file; its contents changed. Binary files are not shown as text.
      </div>
    );
  }
  if (!file || file.hunks.length === 0) {
    return <div className="diffv-note">No textual changes in {diff.path} (mode or rename only).</div>;
  }
  return (
    <div className="diffv">
      {diff.truncated ? (
        <div className="notice warn diffv-warning" role="status" data-testid="diff-truncated">
          This diff is {formatBytes(diff.bytes)}; only the first {formatBytes(diff.patch.length)} are shown. Open the file in your editor or use <code>git diff</code> for the rest.
        </div>
      ) : null}
      <Diff viewType={viewType} diffType={file.type} hunks={file.hunks} {...(tokens ? { tokens } : {})} className="diffv-table">
        {(hunks: HunkData[]) =>
          hunks.flatMap((hunk) => [
            <Decoration key={`d-${hunk.content}`} className="diffv-hunk-head">
              {hunk.content}
            </Decoration>,
            <Hunk key={hunk.content} hunk={hunk} />,
          ])
        }
      </Diff>
    </div>
  );
}
