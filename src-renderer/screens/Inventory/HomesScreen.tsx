import type { HomeItem, Inventory, StandaloneHome } from '../../../src-main/core/api';
import { Icon } from '../../components/Icon';
import { AddButton } from './AddSheet';
import { ListScreen, type ListItem } from './ListScreen';
import { HomeDeploy } from './HomeDeploy';
import { LastDeploy } from './LastDeploy';
import { Field, FlakeBadge, SecretsList, WarningList, secretsFor } from './parts';

/** A row: a standalone home configuration, or a home folder no standalone home uses (so its warnings are seen). */
interface HomeRow extends ListItem {
  readonly standalone?: StandaloneHome;
  readonly folder?: HomeItem;
  /** How many home folders the user has (base, global, per host, droid). */
  readonly folders: number;
}

function homeRows(inventory: Inventory): HomeRow[] {
  const perUser = new Map<string, number>();
  for (const h of inventory.homes) perUser.set(h.user, (perUser.get(h.user) ?? 0) + 1);
  const rows: HomeRow[] = inventory.standaloneHomes.map((home) => ({
    key: `standalone:${home.name}`,
    name: home.name,
    arch: home.system,
    tags: [],
    text: home.parts.join(' '),
    standalone: home,
    folders: perUser.get(home.user) ?? 0,
  }));
  const users = new Set(inventory.standaloneHomes.map((h) => h.user));
  for (const folder of inventory.homes) {
    if (users.has(folder.user)) continue;
    rows.push({ key: `folder:${folder.name}`, name: folder.name, arch: '', tags: [], text: folder.path, folder, folders: 1 });
  }
  return rows;
}

const kindText: Record<HomeItem['kind'], string> = {
  base: 'base, used everywhere',
  global: 'standalone installs only',
  host: 'inside a NixOS host',
  droid: 'on the phone',
};

function HomeRowView({ row }: { readonly row: HomeRow }) {
  const warnings = row.standalone?.warnings.length ?? row.folder?.warnings.length ?? 0;
  const folders = row.folders;
  return (
    <>
      <div className="inv-row-main">
        <div className="inv-row-name">{row.name}</div>
        <div className="inv-row-sub muted">
          {row.standalone ? `${row.standalone.parts.length === 2 ? 'base + global' : 'base'} · ${folders} folder${folders === 1 ? '' : 's'}` : `${row.folder?.kind} home, not deployed standalone`}
        </div>
      </div>
      <div className="inv-row-side">
        {row.arch ? <span className="inv-arch mono">{row.arch}</span> : null}
        {warnings > 0 ? (
          <span className="inv-warn-count">
            <Icon name="warning" size={13} />
            {warnings}
          </span>
        ) : null}
        {row.standalone ? <FlakeBadge state={row.standalone.flake} /> : <span className="badge warn">unused</span>}
      </div>
    </>
  );
}

function HomeDetail({ row, inventory }: { readonly row: HomeRow; readonly inventory: Inventory }) {
  const user = row.standalone?.user ?? row.folder?.user ?? row.name;
  const folders = inventory.homes.filter((h) => h.user === user);
  const standalone = row.standalone;
  return (
    <article className="inv-detail-body" data-testid="home-detail" data-name={row.name}>
      <header className="inv-detail-head">
        <h1>{row.name}</h1>
        {standalone ? <FlakeBadge state={standalone.flake} /> : null}
      </header>
      {standalone ? <WarningList warnings={standalone.warnings} /> : null}
      <dl className="inv-fields">
        <Field label="Configuration">
          {standalone ? <span className="mono">homeConfigurations.{standalone.name}</span> : <span className="muted">not a standalone home</span>}
        </Field>
        <Field label="Architecture">{standalone ? <span className="mono">{standalone.system}</span> : '—'}</Field>
        <Field label="Made of">{standalone ? standalone.parts.map((p) => <div key={p} className="mono">{p}</div>) : '—'}</Field>
        <Field label="Last deploy">
          <LastDeploy prefix={`home:${user}@`} refresh={inventory.revision} />
        </Field>
      </dl>
      {standalone ? (
        <>
          <h2>Deploy</h2>
          <HomeDeploy key={standalone.name} home={standalone} inventory={inventory} />
        </>
      ) : (
        <p className="muted inv-small">Only standalone homes (homes/{user} with or without homes/{user}@global) are deployed on their own; this folder is deployed with the system or phone that imports it.</p>
      )}
      <h2>Home folders of {user}</h2>
      <ul className="inv-folders">
        {folders.map((h) => (
          <li key={h.name}>
            <div className="row">
              <span className="mono inv-grow">{h.path}</span>
              <span className="badge">{h.kind}</span>
            </div>
            <div className="muted inv-small">
              {kindText[h.kind]}
              {h.host ? `: ${h.host}` : ''}
            </div>
            <WarningList warnings={h.warnings} />
          </li>
        ))}
      </ul>
      <h2>Secrets</h2>
      <SecretsList secrets={secretsFor(inventory, 'home', user, folders[0]?.path ?? '')} />
    </article>
  );
}

const homeRow = (r: HomeRow) => <HomeRowView row={r} />;
const homeDetail = (r: HomeRow, inventory: Inventory) => <HomeDetail row={r} inventory={inventory} />;

const homeActions = () => <AddButton kind="home" />;

/** The Home Manager homes of the checkout. */
export function HomesScreen() {
  return (
    <ListScreen<HomeRow>
      kind="homes"
      noun="home"
      title="Homes"
      items={homeRows}
      row={homeRow}
      detail={homeDetail}
      actions={homeActions}
      empty={
        <>
          <h2>No homes</h2>
          Add a Home Manager home as <code>homes/&lt;user&gt;/default.nix</code>; <code>homes/&lt;user&gt;@global</code> adds what standalone installs need.
        </>
      }
    />
  );
}
