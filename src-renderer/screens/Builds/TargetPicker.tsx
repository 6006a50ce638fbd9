import { useEffect, useMemo, useState } from 'react';
import { useInventoryStore } from '../../stores/inventory';

/** Targets the user can pick: the inventory's systems, standalone homes and droids. */
function useTargetNames(): { label: string; value: string; kind: string }[] {
  const inventory = useInventoryStore((s) => s.inventory);
  useEffect(() => {
    if (!useInventoryStore.getState().inventory && !useInventoryStore.getState().loading) void useInventoryStore.getState().load();
  }, []);
  return useMemo(() => {
    if (!inventory) return [];
    return [
      ...inventory.systems.map((s) => ({ label: s.name, value: `system:${s.name}`, kind: 'system' })),
      ...inventory.standaloneHomes.map((h) => ({ label: h.name, value: `home:${h.name}`, kind: 'home' })),
      ...inventory.droids.map((d) => ({ label: d.name, value: `droid:${d.name}`, kind: 'droid' })),
    ];
  }, [inventory]);
}

/** Chips to pick targets, a field for anything else (".#attr.path"), and the Build button. */
export function TargetPicker({ disabled, onBuild }: { readonly disabled: boolean; readonly onBuild: (targets: string[]) => void }) {
  const names = useTargetNames();
  const [picked, setPicked] = useState<readonly string[]>([]);
  const [extra, setExtra] = useState('');
  const toggle = (value: string) => setPicked((p) => (p.includes(value) ? p.filter((v) => v !== value) : [...p, value]));
  const targets = [...picked, ...extra.split(/\s+/).filter(Boolean)];
  return (
    <div className="stack">
      <div className="builds-chips" role="group" aria-label="Targets">
        {names.length === 0 ? <span className="muted">No configurations found yet; type a name below.</span> : null}
        {names.map((n) => (
          <button
            key={n.value}
            type="button"
            className={`builds-chip${picked.includes(n.value) ? ' on' : ''}`}
            aria-pressed={picked.includes(n.value)}
            onClick={() => toggle(n.value)}
            data-testid={`pick-${n.value}`}
          >
            <span className="faint">{n.kind}</span> {n.label}
          </button>
        ))}
      </div>
      <div className="row">
        <input
          className="input builds-extra"
          placeholder="Other targets: names or .#attribute.paths, separated by spaces"
          value={extra}
          onChange={(e) => setExtra(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && targets.length > 0 && !disabled && onBuild(targets)}
          data-testid="build-extra"
        />
        <button className="btn primary" type="button" disabled={disabled || targets.length === 0} onClick={() => onBuild(targets)} data-testid="build-start">
          Build {targets.length > 1 ? `${targets.length} targets` : ''}
        </button>
      </div>
    </div>
  );
}
