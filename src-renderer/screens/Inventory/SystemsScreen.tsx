import { memo, useEffect } from 'react';
import type { Inventory, SystemItem } from '../../../src-main/core/api';
import { DeployButton } from '../../components/DeploySheet';
import { RebootButton } from '../../components/RebootSheet';
import { Icon } from '../../components/Icon';
import { useShallow } from 'zustand/react/shallow';
import { useHostStatusStore } from '../../stores/host-status';
import { useInventoryStore } from '../../stores/inventory';
import { SystemRowBadges, SystemRowStatus } from './HostStatusView';
import { ListScreen, type ListItem } from './ListScreen';
import { FlakeBadge } from './parts';
import { SystemDetail } from './SystemDetail';
import { AddButton } from './AddSheet';

interface SystemRow extends ListItem {
  readonly system: SystemItem;
}

function systemRows(inventory: Inventory): SystemRow[] {
  return inventory.systems.map((system) => ({
    key: system.name,
    name: system.name,
    arch: system.system,
    tags: system.deploy.tags,
    text: `${system.path} ${system.deploy.host}`,
    system,
  }));
}

/** A target of the deploy as ssh will see it: user@host:port. */
export function targetText(system: SystemItem): string {
  const d = system.deploy;
  return `${d.user ? `${d.user}@` : ''}${d.host}${d.port ? `:${d.port}` : ''}`;
}

// memo: picking a row re-renders the list, not every row's content.
const SystemRowView = memo(function SystemRowView({ system }: { readonly system: SystemItem }) {
  const where = system.deploy.refused ? 'cannot be deployed' : targetText(system) !== system.name ? `→ ${targetText(system)}` : system.path || 'defined in the flake';
  return (
    <>
      <div className="inv-row-main">
        <div className="inv-row-name">{system.name}</div>
        {system.deploy.refused ? <div className="inv-row-sub muted">{where}</div> : <SystemRowStatus name={system.name} fallback={where} />}
      </div>
      <div className="inv-row-side inv-row-side-lines">
        <div className="inv-row-side">
          {system.deploy.tags.slice(0, 2).map((t) => (
            <span key={t} className="badge inv-tag">
              {t}
            </span>
          ))}
          <span className="inv-arch mono">{system.system}</span>
          {system.warnings.length > 0 ? (
            <span className="inv-warn-count" title={`${system.warnings.length} warning(s)`}>
              <Icon name="warning" size={13} />
              {system.warnings.length}
            </span>
          ) : null}
          <FlakeBadge state={system.flake} />
        </div>
        <div className="inv-row-side">
          <SystemRowBadges name={system.name} />
        </div>
      </div>
    </>
  );
});

/** The systems a deploy can name (refused names are shown, never sent). */
function deployable(rows: readonly SystemRow[]): string[] {
  return rows.filter((r) => !r.system.deploy.refused).map((r) => r.name);
}

/**
 * Whether opening the Systems screen checks the hosts by itself. Off until the person
 * first presses "Check hosts": probing every host over SSH (and resolving its name) is
 * something they start, not a side effect of opening the app on a new machine.
 */
const autoCheckKey = 'fleet.hosts.autoCheck';
function autoCheck(): boolean {
  try {
    return localStorage.getItem(autoCheckKey) === 'yes';
  } catch {
    return false;
  }
}

/** "Check hosts": read every host's status again; the rows show "checking…" meanwhile. */
function CheckHostsButton({ names }: { readonly names: readonly string[] }) {
  const busy = useHostStatusStore((s) => names.some((n) => s.checking[n]));
  const error = useHostStatusStore((s) => s.error);
  return (
    <>
      {error ? (
        <span className="inv-warn-count" title={error} data-testid="hosts-check-error">
          <Icon name="warning" size={13} />
        </span>
      ) : null}
      <button
        className="btn inv-compact"
        type="button"
        disabled={busy || names.length === 0}
        onClick={() => {
          try {
            localStorage.setItem(autoCheckKey, 'yes');
          } catch {
            // storage disabled: only this check happens
          }
          void useHostStatusStore.getState().check(undefined, { expect: names });
        }}
        title="Read every host’s status over SSH"
        data-testid="hosts-check"
      >
        {busy ? <span className="spinner" /> : <Icon name="refresh" size={13} />} Check hosts
      </button>
    </>
  );
}

/** "Deploy N out of date" when nothing is picked: the online hosts that run something else than the checkout builds. */
function OutOfDateDeploy({ names }: { readonly names: readonly string[] }) {
  const stale = useHostStatusStore(useShallow((s) => names.filter((n) => s.byTarget[n]?.online && s.byTarget[n]?.outOfDate)));
  if (stale.length === 0) return null;
  return <DeployButton targets={stale} label={`Deploy ${stale.length} out of date`} primary={false} />;
}

const systemActions = (picked: readonly SystemRow[], all: readonly SystemRow[]) => {
  const targets = deployable(picked);
  return (
    <>
      <AddButton kind="system" />
      <CheckHostsButton names={deployable(all)} />
      {picked.length > 0 ? <RebootButton targets={targets} label={`Reboot ${targets.length}`} disabled={targets.length === 0} /> : null}
      {picked.length > 0 ? <DeployButton targets={targets} label={`Deploy ${targets.length}`} disabled={targets.length === 0} /> : <OutOfDateDeploy names={deployable(all)} />}
    </>
  );
};

/** Check the hosts once when a checkout's systems are first shown (once enabled); later checks come from deploys and the button. */
function useFirstCheck(): void {
  const inventory = useInventoryStore((s) => s.inventory);
  useEffect(() => {
    const store = useHostStatusStore;
    store.wire();
    if (!inventory || !autoCheck() || store.getState().checkedRoot === inventory.root) return;
    const names = inventory.systems.filter((s) => !s.deploy.refused).map((s) => s.name);
    if (names.length > 0) void store.getState().check(undefined, { expect: names, root: inventory.root });
  }, [inventory]);
}

const systemRow = (r: SystemRow) => <SystemRowView system={r.system} />;
const systemDetail = (r: SystemRow, inventory: Inventory) => <SystemDetail system={r.system} inventory={inventory} />;

/** The NixOS hosts of the checkout. */
export function SystemsScreen() {
  useFirstCheck();
  return (
    <ListScreen<SystemRow>
      kind="systems"
      noun="system"
      title="Systems"
      items={systemRows}
      showTags
      selectable
      actions={systemActions}
      row={systemRow}
      detail={systemDetail}
      empty={
        <>
          <h2>No systems</h2>
          Add a NixOS host as <code>systems/&lt;host&gt;/default.nix</code> (or <code>systems/&lt;host&gt;.nix</code>); it appears here at once.
        </>
      }
    />
  );
}
