import { useEffect, useState } from 'react';
import { DiffViewer } from '../../components/DiffViewer';
import { useAppStore } from '../../stores/app';
import { useChangesStore } from '../../stores/changes';
import { AffectedPanel } from './AffectedPanel';
import { ClosurePanel } from './ClosurePanel';
import { CommitBox } from './CommitBox';
import { FileList } from './FileList';
import { LockPanel } from './LockPanel';
import './changes.css';

type Tab = 'diff' | 'machines' | 'closure' | 'inputs';

/**
 * What changed in the checkout, which machines it reaches, and what a deploy would
 * install: the file list and diff, the affected machines (likely and confirmed), the
 * closure diff against a running host, and the flake.lock inputs.
 */
export function ChangesScreen() {
  const checkout = useAppStore((s) => s.checkout);
  const { changes, loading, error, fileDiff, fileLoading, fileError, affected, load, closureDiff } = useChangesStore();
  const [tab, setTab] = useState<Tab>('diff');
  const [viewType, setViewType] = useState<'unified' | 'split'>('unified');
  useEffect(() => {
    if (checkout) void load();
  }, [checkout?.root, load]);

  if (!checkout) return <div className="empty"><h2>No homelab open</h2>Open a checkout to see its changes.</div>;
  if (error) {
    return (
      <div className="page">
        <div className="notice err">{error}</div>
        <button type="button" className="btn chg-retry" onClick={() => void load()}>Try again</button>
      </div>
    );
  }
  if (!changes) return <div className="empty"><span className="spinner" aria-label="Loading changes" /></div>;
  const repo = changes.repo;
  const systems = affected?.machines.filter((m) => m.startsWith('system:')).map((m) => m.slice(7)) ?? [];
  const affectedCount = affected?.affected.length ?? 0;
  const openClosure = (machine: string) => {
    setTab('closure');
    void closureDiff(machine);
  };

  return (
    <div className="chg" data-testid="changes-screen">
      <aside className="chg-side">
        <div className="chg-repo">
          <div className="row">
            <strong className="mono">{repo.branch ?? (repo.detached ? `detached at ${repo.head?.slice(0, 8)}` : 'no branch')}</strong>
            {repo.upstream ? <span className="badge" title={`against ${repo.upstream}`}>↑{repo.ahead} ↓{repo.behind}</span> : null}
            {repo.dirty ? <span className="badge warn">uncommitted</span> : <span className="badge ok">clean</span>}
            <span className="spacer" />
            <button type="button" className="btn" onClick={() => void load()} disabled={loading}>{loading ? <span className="spinner" /> : null}Refresh</button>
          </div>
          {repo.problems.map((p) => (
            <div key={p} className="notice warn chg-problem">{p}</div>
          ))}
        </div>
        {changes.files.length === 0 ? (
          <div className="empty chg-clean">
            <h2>No changes</h2>
            The working tree matches {repo.head ? <code>{repo.head.slice(0, 10)}</code> : 'the repository'}. Edit a host's configuration and it shows up here.
          </div>
        ) : (
          <FileList files={changes.files} />
        )}
        <CommitBox dirty={repo.dirty} />
      </aside>
      <section className="chg-main">
        <div className="chg-tabs" role="tablist">
          {([
            ['diff', 'Diff'],
            ['machines', `Machines${affected ? ` (${affectedCount})` : ''}`],
            ['closure', 'Closure diff'],
            ['inputs', 'Flake inputs'],
          ] as const).map(([id, label]) => (
            <button key={id} type="button" role="tab" aria-selected={tab === id} className="chg-tab" onClick={() => setTab(id)}>
              {label}
            </button>
          ))}
          <span className="spacer" />
          {tab === 'diff' ? (
            <div className="chg-toggle" role="group" aria-label="Diff layout">
              <button type="button" className="btn" aria-pressed={viewType === 'unified'} onClick={() => setViewType('unified')}>Unified</button>
              <button type="button" className="btn" aria-pressed={viewType === 'split'} onClick={() => setViewType('split')}>Side by side</button>
            </div>
          ) : null}
        </div>
        <div className="chg-body">
          {tab === 'diff' ? (
            fileError ? <div className="notice err">{fileError}</div>
            : fileLoading && !fileDiff ? <div className="empty"><span className="spinner" /></div>
            : fileDiff ? (
              <>
                <div className="chg-file-head mono">{fileDiff.path}</div>
                <DiffViewer diff={fileDiff} viewType={viewType} />
              </>
            ) : <div className="empty">Select a file to see its diff.</div>
          ) : null}
          {tab === 'machines' ? <AffectedPanel onClosureDiff={openClosure} /> : null}
          {tab === 'closure' ? <ClosurePanel systems={systems} /> : null}
          {tab === 'inputs' ? <LockPanel /> : null}
        </div>
      </section>
    </div>
  );
}
