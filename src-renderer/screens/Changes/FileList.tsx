import type { ChangedFileSummary } from '../../../src-main/core/api';
import { useChangesStore } from '../../stores/changes';

const kindLabel: Record<ChangedFileSummary['kind'], string> = {
  added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', 'type-changed': 'T', untracked: 'U', conflicted: '!',
};

function group(file: ChangedFileSummary): 'Conflicts' | 'Staged' | 'Changes' | 'Untracked' {
  if (file.kind === 'conflicted') return 'Conflicts';
  if (file.kind === 'untracked') return 'Untracked';
  return file.staged && !file.unstaged ? 'Staged' : 'Changes';
}

/** The checkout's changed files, grouped like a git client: conflicts, staged, changes, untracked. */
export function FileList({ files }: { readonly files: readonly ChangedFileSummary[] }) {
  const selected = useChangesStore((s) => s.selected);
  const select = useChangesStore((s) => s.select);
  const groups = (['Conflicts', 'Staged', 'Changes', 'Untracked'] as const).map((name) => ({ name, files: files.filter((f) => group(f) === name) })).filter((g) => g.files.length > 0);
  return (
    <div className="chg-files" role="listbox" aria-label="Changed files">
      {groups.map((g) => (
        <div key={g.name}>
          <div className="chg-group">
            {g.name} <span className="count">{g.files.length}</span>
          </div>
          {g.files.map((f) => (
            <button
              key={f.path}
              type="button"
              role="option"
              aria-selected={selected?.path === f.path}
              className="chg-file"
              title={f.path}
              onClick={() => void select(f.path, g.name === 'Staged')}
            >
              <span className={`chg-kind chg-kind-${f.kind}`}>{kindLabel[f.kind]}</span>
              <span className="chg-file-path mono">
                <span className="faint">{f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/') + 1) : ''}</span>
                {f.path.slice(f.path.lastIndexOf('/') + 1)}
              </span>
              <span className="chg-counts mono">
                {f.binary ? (
                  <span className="faint">bin</span>
                ) : (
                  <>
                    {f.added ? <span className="chg-add">+{f.added}</span> : null} {f.removed ? <span className="chg-del">−{f.removed}</span> : null}
                  </>
                )}
              </span>
            </button>
          ))}
        </div>
      ))}
    </div>
  );
}
