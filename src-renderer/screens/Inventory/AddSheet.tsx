import { useState, type FormEvent } from 'react';
import type { AddAnswer, Inventory } from '../../../src-main/core/api';
import { Icon } from '../../components/Icon';
import { useInventoryStore } from '../../stores/inventory';

export type AddKind = 'system' | 'home' | 'droid';

const folder: Readonly<Record<AddKind, string>> = { system: 'systems', home: 'homes', droid: 'droids' };
const defaultArch: Readonly<Record<AddKind, string>> = { system: 'x86_64-linux', home: 'x86_64-linux', droid: 'aarch64-linux' };
const arches = ['x86_64-linux', 'aarch64-linux'] as const;

/**
 * The first problem with a name as discovery will see it, for the person while typing
 * (the core checks again, with the same rules, before writing anything).
 */
export function nameProblem(kind: AddKind, name: string, inventory: Inventory, folderName = name): string | undefined {
  if (name === '') return undefined;
  if (/\s/.test(name)) return 'no spaces';
  if (name.startsWith('.')) return 'cannot start with "."';
  if (name === 'default' || name.endsWith('.nix')) return 'not a configuration name';
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) return 'letters, digits, ".", "_" and "-" only';
  const taken = kind === 'system' ? inventory.systems : kind === 'droid' ? inventory.droids : inventory.homes;
  if (taken.some((i) => i.name === folderName)) return `there is already a ${kind} named ${folderName}`;
  return undefined;
}

function AddedView({ answer, onClose }: { readonly answer: AddAnswer; readonly onClose: () => void }) {
  return (
    <>
      <div className="sheet-body stack" data-testid="add-sheet-done">
        <div className="notice ok">
          <Icon name="check" />
          <div>
            Added <strong>{answer.path}</strong> from <code>templates/{answer.template}</code>
            {answer.gitAdded ? ' and staged it in git (commit when ready).' : '; the checkout is not a git repository, so nix will not see it until it is.'}
          </div>
        </div>
        <ul className="add-sheet-files mono">
          {answer.files.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
        {answer.flake.state === 'checked' ? (
          <p className="muted" data-testid="add-sheet-flake">
            The flake evaluates <code>{answer.flake.attribute}</code>.
          </p>
        ) : (
          <p className="notice warn">Not checked against the flake: {answer.flake.reason}</p>
        )}
      </div>
      <footer>
        <button className="btn primary" type="button" onClick={onClose} data-testid="add-sheet-close">
          Done
        </button>
      </footer>
    </>
  );
}

/**
 * "Add system / home / droid": a name, a template and (for systems) how to reach the
 * machine. The core copies the template, writes meta.json, stages the files in git and asks
 * the flake; nothing stays on disk when a step fails, and the sheet shows why.
 */
export function AddSheet({ kind, inventory, onClose }: { readonly kind: AddKind; readonly inventory: Inventory; readonly onClose: () => void }) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState('');
  const [template, setTemplate] = useState('');
  const [arch, setArch] = useState(defaultArch[kind]);
  const [host, setHost] = useState('');
  const [user, setUser] = useState('');
  const [tags, setTags] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [answer, setAnswer] = useState<AddAnswer | null>(null);
  const fullName = kind === 'home' && scope ? `${name}@${scope}` : name;
  // A home's user is checked as a name; the folder (user or user@scope) must be new.
  const local = nameProblem(kind, name, inventory, fullName);
  const baseHomes = new Set(inventory.homes.filter((h) => h.kind === 'base').map((h) => h.name));
  const needsBase = kind === 'home' && scope !== '' && name !== '' && !baseHomes.has(name);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name || local || needsBase) return;
    setBusy(true);
    setProblem(null);
    const tagList = tags.split(',').map((t) => t.trim()).filter(Boolean);
    const deploy = kind === 'system' && (host || user || tagList.length > 0) ? { ...(host ? { host } : {}), ...(user ? { user } : {}), ...(tagList.length > 0 ? { tags: tagList } : {}) } : undefined;
    useInventoryStore
      .getState()
      .add({ kind, name: fullName, ...(template ? { template } : {}), ...(kind !== 'home' || !scope ? { system: arch } : {}), ...(deploy ? { deploy } : {}) })
      .then(setAnswer)
      .catch((e: Error) => setProblem(e.message))
      .finally(() => setBusy(false));
  };

  return (
    <div className="sheet-backdrop" role="presentation" onClick={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <form className="sheet add-sheet" role="dialog" aria-modal="true" aria-labelledby="add-sheet-title" onSubmit={submit} data-testid="add-sheet">
        <header id="add-sheet-title">Add {kind}</header>
        {answer ? (
          <AddedView answer={answer} onClose={onClose} />
        ) : (
          <>
            <div className="sheet-body stack">
              {problem ? (
                <div className="notice err add-sheet-error" role="alert" data-testid="add-sheet-error">
                  {problem}
                </div>
              ) : null}
              <label className="stack add-sheet-field">
                <span className="muted">{kind === 'home' ? 'User' : 'Name'}</span>
                <input
                  className="input mono"
                  autoFocus
                  value={name}
                  placeholder={kind === 'system' ? 'web-01' : kind === 'home' ? 'alice' : 'pixel'}
                  onChange={(e) => setName(e.target.value.trim())}
                  spellCheck={false}
                  aria-invalid={local ? true : undefined}
                  data-testid="add-name"
                />
                {local ? <span className="error-text" data-testid="add-name-problem">{local}</span> : null}
              </label>
              {kind === 'home' ? (
                <label className="stack add-sheet-field">
                  <span className="muted">For</span>
                  <select className="input" value={scope} onChange={(e) => setScope(e.target.value)} data-testid="add-scope">
                    <option value="">every machine (homes/{name || '<user>'})</option>
                    <option value="global">standalone installs only (@global)</option>
                    {inventory.droids.length > 0 ? <option value="droid">the phone of the same name (@droid)</option> : null}
                    {inventory.systems.map((s) => (
                      <option key={s.name} value={s.name}>
                        the system {s.name} (@{s.name})
                      </option>
                    ))}
                  </select>
                  {needsBase ? <span className="error-text">add the home {name} first: overrides extend it</span> : null}
                </label>
              ) : null}
              <div className="add-sheet-grid">
                <label className="stack add-sheet-field">
                  <span className="muted">Template</span>
                  <select className="input" value={template} onChange={(e) => setTemplate(e.target.value)} data-testid="add-template">
                    <option value="">the one for a {kind}</option>
                    {inventory.templates.map((t) => (
                      <option key={t} value={t}>
                        templates/{t}
                      </option>
                    ))}
                  </select>
                </label>
                {kind !== 'home' || !scope ? (
                  <label className="stack add-sheet-field">
                    <span className="muted">Architecture</span>
                    <select className="input" value={arch} onChange={(e) => setArch(e.target.value)} data-testid="add-arch">
                      {arches.map((a) => (
                        <option key={a} value={a}>
                          {a}
                        </option>
                      ))}
                    </select>
                  </label>
                ) : null}
              </div>
              {kind === 'system' ? (
                <fieldset className="add-sheet-deploy">
                  <legend className="muted">Deploy target (meta.json, optional)</legend>
                  <div className="add-sheet-grid">
                    <label className="stack add-sheet-field">
                      <span className="faint">SSH host</span>
                      <input className="input mono" value={host} placeholder={name || 'the name'} onChange={(e) => setHost(e.target.value.trim())} spellCheck={false} data-testid="add-host" />
                    </label>
                    <label className="stack add-sheet-field">
                      <span className="faint">SSH user</span>
                      <input className="input mono" value={user} placeholder="root" onChange={(e) => setUser(e.target.value.trim())} spellCheck={false} data-testid="add-user" />
                    </label>
                  </div>
                  <label className="stack add-sheet-field">
                    <span className="faint">Tags, comma separated</span>
                    <input className="input" value={tags} placeholder="server, lab" onChange={(e) => setTags(e.target.value)} spellCheck={false} data-testid="add-tags" />
                  </label>
                </fieldset>
              ) : null}
              <p className="faint add-sheet-plan">
                Copies the template to <code>{folder[kind]}/{fullName || '…'}</code>, names it{kind !== 'home' || !scope ? ', writes meta.json' : ''}, stages it in git and asks the flake to evaluate it. If any step fails, nothing is written.
              </p>
            </div>
            <footer>
              <button className="btn" type="button" onClick={onClose} disabled={busy}>
                Cancel
              </button>
              <button className="btn primary" type="submit" disabled={busy || !name || !!local || needsBase} data-testid="add-confirm">
                {busy ? (
                  <>
                    <span className="spinner" /> Adding and evaluating…
                  </>
                ) : (
                  `Add ${kind}`
                )}
              </button>
            </footer>
          </>
        )}
      </form>
    </div>
  );
}

/** The "Add system / home / droid" button of an inventory list; opens the sheet. */
export function AddButton({ kind }: { readonly kind: AddKind }) {
  const [open, setOpen] = useState(false);
  const inventory = useInventoryStore((s) => s.inventory);
  return (
    <>
      <button className="btn inv-compact" type="button" onClick={() => setOpen(true)} disabled={!inventory} data-testid={`add-${kind}`}>
        <Icon name="plus" size={13} /> Add {kind}
      </button>
      {open && inventory ? <AddSheet kind={kind} inventory={inventory} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
