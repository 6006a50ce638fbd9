import { useState, type FormEvent } from 'react';
import type { Inventory } from '../../../src-main/core/api';
import { client } from '../../client';

/** Relative form of the layout folder for display and editing ("" = the checkout root). */
function relativeLayout(inventory: Inventory): string {
  if (inventory.layoutRoot === inventory.root) return '';
  return inventory.layoutRoot.startsWith(`${inventory.root}/`) ? inventory.layoutRoot.slice(inventory.root.length + 1) : inventory.layoutRoot;
}

/**
 * Where systems/, homes/ and droids/ live in this checkout: detected, or set here for
 * checkouts that keep them elsewhere (saved per checkout in the app's settings).
 */
export function LayoutRootControl({ inventory }: { readonly inventory: Inventory }) {
  const current = relativeLayout(inventory);
  const [value, setValue] = useState(current);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (layoutRoot: string | null) => {
    setBusy(true);
    setError(null);
    try {
      const next = await client().invoke('inventory.setLayoutRoot', { layoutRoot });
      setValue(relativeLayout(next));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save(value.trim());
  };
  return (
    <form className="inv-layout" onSubmit={submit} data-testid="layout-root">
      <label className="row">
        <span className="muted">Layout folder</span>
        <input
          className="input mono inv-grow"
          value={value}
          placeholder="(checkout root)"
          aria-label="Folder holding systems/, homes/ and droids/, relative to the checkout"
          spellCheck={false}
          onChange={(e) => setValue(e.target.value)}
        />
        <button className="btn" type="submit" disabled={busy || value.trim() === current}>
          Use
        </button>
        <button className="btn" type="button" disabled={busy} onClick={() => void save(null)} title="Detect it again">
          Detect
        </button>
      </label>
      {error ? <div className="error-text inv-small">{error}</div> : null}
    </form>
  );
}
