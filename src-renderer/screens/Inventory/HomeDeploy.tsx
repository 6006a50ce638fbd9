import { useState } from 'react';
import type { Inventory, StandaloneHome } from '../../../src-main/core/api';
import { DeployButton } from '../../components/DeploySheet';
import { LastDeploy } from './LastDeploy';

/** A host name as ssh takes it: no spaces, no leading dash (the deploy refuses the rest with its reason). */
function usableHost(text: string): boolean {
  return text.length > 0 && !text.startsWith('-') && !/\s/.test(text);
}

/**
 * Deploy a standalone home (homeConfigurations.<name>) to a host as the home's user:
 * the deploy target `home:<name>@<host>`, with the same confirmation sheet as systems.
 */
export function HomeDeploy({ home, inventory }: { readonly home: StandaloneHome; readonly inventory: Inventory }) {
  // The host a home is usually deployed to: one of its own user@host folders, else the first system.
  const attached = inventory.homes.find((h) => h.user === home.user && h.kind === 'host' && h.host)?.host;
  const [host, setHost] = useState(attached ?? inventory.systems[0]?.name ?? '');
  const target = `home:${home.name}@${host.trim()}`;
  const listId = `home-hosts-${home.name}`;
  return (
    <div className="inv-home-deploy" data-testid="home-deploy">
      <div className="row">
        <label className="row inv-grow">
          <span className="muted">To host</span>
          <input
            className="input mono inv-host-input"
            list={listId}
            value={host}
            placeholder="host or ssh alias"
            spellCheck={false}
            onChange={(e) => setHost(e.target.value)}
            data-testid="home-deploy-host"
          />
          <datalist id={listId}>
            {inventory.systems.map((s) => (
              <option key={s.name} value={s.name} />
            ))}
          </datalist>
        </label>
        <DeployButton targets={usableHost(host.trim()) ? [target] : []} label="Deploy home" />
      </div>
      <div className="muted inv-small">
        Copies <span className="mono">homeConfigurations.{home.name}.activationPackage</span> and activates it as <span className="mono">{home.user}</span> over
        SSH (a system’s deploy settings apply when the host is one of its systems). To log in as another user, set "Log in as" in the deploy sheet (CLI:{' '}
        <span className="mono">fleet deploy {usableHost(host.trim()) ? target : `home:${home.name}@<host>`} --as &lt;user&gt;</span>).
      </div>
      {usableHost(host.trim()) ? (
        <div className="inv-small inv-top-gap">
          Last deploy to {host.trim()}: <LastDeploy exact={target} refresh={target} />
        </div>
      ) : null}
    </div>
  );
}
