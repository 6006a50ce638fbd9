import type { Inventory, SystemItem } from '../../../src-main/core/homelab/types';
import { Icon } from '../../components/Icon';
import { ListScreen, type ListItem } from './ListScreen';
import { FlakeBadge } from './parts';
import { SystemDetail } from './SystemDetail';

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

function SystemRowView({ system }: { readonly system: SystemItem }) {
  return (
    <>
      <div className="inv-row-main">
        <div className="inv-row-name">{system.name}</div>
        <div className="inv-row-sub muted">
          {system.deploy.refused ? 'cannot be deployed' : targetText(system) !== system.name ? `→ ${targetText(system)}` : system.path || 'defined in the flake'}
        </div>
      </div>
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
    </>
  );
}

const systemRow = (r: SystemRow) => <SystemRowView system={r.system} />;
const systemDetail = (r: SystemRow, inventory: Inventory) => <SystemDetail system={r.system} inventory={inventory} />;

/** The NixOS hosts of the checkout. */
export function SystemsScreen() {
  return (
    <ListScreen<SystemRow>
      kind="systems"
      noun="system"
      title="Systems"
      items={systemRows}
      showTags
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
