import type { DroidItem, Inventory } from '../../../src-main/core/api';
import { DroidDevicePanel } from '../../components/DroidDevicePanel';
import { Icon } from '../../components/Icon';
import { AddButton } from './AddSheet';
import { ListScreen, type ListItem } from './ListScreen';
import { Field, FlakeBadge, SecretsList, WarningList, secretsFor } from './parts';

interface DroidRow extends ListItem {
  readonly droid: DroidItem;
}

function droidRows(inventory: Inventory): DroidRow[] {
  return inventory.droids.map((droid) => ({ key: droid.name, name: droid.name, arch: droid.system, tags: [], text: droid.path, droid }));
}

function DroidDetail({ droid, inventory }: { readonly droid: DroidItem; readonly inventory: Inventory }) {
  return (
    <article className="inv-detail-body" data-testid="droid-detail" data-name={droid.name}>
      <header className="inv-detail-head">
        <h1>{droid.name}</h1>
        <FlakeBadge state={droid.flake} />
      </header>
      <WarningList warnings={droid.warnings} />
      <dl className="inv-fields">
        <Field label="Path">
          <span className="mono">{droid.path || '(defined in the flake)'}</span>
        </Field>
        <Field label="Configuration">
          <span className="mono">nixOnDroidConfigurations.{droid.name}</span>
        </Field>
        <Field label="Architecture">
          <span className="mono">{droid.system}</span>
        </Field>
        <Field label="Homes">
          {droid.homes.length === 0 ? <span className="muted">none</span> : droid.homes.map((h) => <div key={h} className="mono">homes/{h}</div>)}
        </Field>
      </dl>
      <DroidDevicePanel key={droid.name} droid={droid.name} />
      <h2>Secrets</h2>
      <SecretsList secrets={secretsFor(inventory, 'droid', droid.name, droid.path)} />
      <h2>meta.json</h2>
      <pre className="inv-meta mono">{JSON.stringify(droid.meta, null, 2)}</pre>
    </article>
  );
}

const droidRow = (r: DroidRow) => (
  <>
    <div className="inv-row-main">
      <div className="inv-row-name">{r.droid.name}</div>
      <div className="inv-row-sub muted">{r.droid.homes.length > 0 ? `homes: ${r.droid.homes.join(', ')}` : 'no homes'}</div>
    </div>
    <div className="inv-row-side">
      <span className="inv-arch mono">{r.droid.system}</span>
      {r.droid.warnings.length > 0 ? (
        <span className="inv-warn-count">
          <Icon name="warning" size={13} />
          {r.droid.warnings.length}
        </span>
      ) : null}
      <FlakeBadge state={r.droid.flake} />
    </div>
  </>
);
const droidDetail = (r: DroidRow, inventory: Inventory) => <DroidDetail droid={r.droid} inventory={inventory} />;

const droidActions = () => <AddButton kind="droid" />;

/** The Nix-on-Droid phones of the checkout. */
export function DroidsScreen() {
  return (
    <ListScreen<DroidRow>
      kind="droids"
      noun="droid"
      title="Droids"
      items={droidRows}
      row={droidRow}
      detail={droidDetail}
      actions={droidActions}
      empty={
        <>
          <h2>No droids</h2>
          Add a Nix-on-Droid phone as <code>droids/&lt;name&gt;/default.nix</code>.
        </>
      }
    />
  );
}
