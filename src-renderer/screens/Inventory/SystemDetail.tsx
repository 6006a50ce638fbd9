import { InstallWizard } from './InstallWizard';
import { useState, type FormEvent } from 'react';
import type { Inventory, SystemItem } from '../../../src-main/core/api';
import { client } from '../../client';
import { DeployButton, DeploySources } from '../../components/DeploySheet';
import { RebootButton } from '../../components/RebootSheet';
import { Icon } from '../../components/Icon';
import { useAppStore } from '../../stores/app';
import { useHostStatusStore } from '../../stores/host-status';
import { useJobsStore } from '../../stores/jobs';
import { HostStatusBlock } from './HostStatusBlock';
import { LastDeploy } from './LastDeploy';
import { Field, FlakeBadge, SecretsList, WarningList, secretsFor } from './parts';

/** "Build": start a build job of this system and follow it on the Builds screen. */
function BuildButton({ name }: { readonly name: string }) {
  const [starting, setStarting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const build = () => {
    setStarting(true);
    setProblem(null);
    useJobsStore
      .getState()
      .startBuild([name])
      .then((jobId) => {
        useAppStore.getState().navigate('builds', jobId);
      })
      .catch((e: Error & { hint?: string }) => setProblem(`${e.message}${e.hint ? ` ${e.hint}` : ''}`))
      .finally(() => setStarting(false));
  };
  return (
    <>
      <button className="btn" type="button" disabled={starting} onClick={build} data-testid="system-build" title={`nix build .#nixosConfigurations.${name}.config.system.build.toplevel`}>
        {starting ? <span className="spinner" /> : null} Build
      </button>
      {problem ? <div className="error-text inv-small inv-action-problem">{problem}</div> : null}
    </>
  );
}

/** Where a deploy would get this host's closure from: asked only when the person wants to know (it reaches the host). */
function ClosureSources({ name }: { readonly name: string }) {
  const [asked, setAsked] = useState<string | null>(null);
  if (asked !== name) {
    return (
      <button className="btn" type="button" onClick={() => setAsked(name)} data-testid="system-sources">
        Check cache, build host and here
      </button>
    );
  }
  return <DeploySources targets={[name]} compact />;
}

/** Everything known about one NixOS host, and its deploy target editor. */
export function SystemDetail({ system, inventory }: { readonly system: SystemItem; readonly inventory: Inventory }) {
  const [editing, setEditing] = useState(false);
  const [installing, setInstalling] = useState(false);
  const homes = inventory.homes.filter((h) => system.homes.includes(h.name));
  const last = useHostStatusStore((s) => s.byTarget[system.name]?.lastDeploy);
  return (
    <article className="inv-detail-body" data-testid="system-detail" data-name={system.name}>
      <header className="inv-detail-head">
        <h1>{system.name}</h1>
        <FlakeBadge state={system.flake} />
        <span className="inv-grow" />
        <BuildButton key={system.name} name={system.name} />
        {system.files.includes('disko.nix') ? (
          <button className="btn" type="button" onClick={() => setInstalling(true)} data-testid="install-open">
            Install…
          </button>
        ) : null}
        <RebootButton targets={[system.name]} disabled={Boolean(system.deploy.refused)} />
        <DeployButton targets={[system.name]} label="Deploy" disabled={Boolean(system.deploy.refused)} />
      </header>
      {installing ? <InstallWizard system={system} onClose={() => setInstalling(false)} /> : null}
      <WarningList warnings={system.warnings} />
      <dl className="inv-fields">
        <Field label="Path">
          <span className="mono">{system.path || '(defined in the flake)'}</span>
        </Field>
        <Field label="Architecture">
          <span className="mono">{system.system}</span>
        </Field>
        <Field label="Deploy target">
          {system.deploy.refused ? (
            <span className="error-text">{system.deploy.refused}</span>
          ) : (
            <span className="mono" data-testid="deploy-target">
              {system.deploy.user ? `${system.deploy.user}@` : ''}
              {system.deploy.host}
              {system.deploy.port ? `:${system.deploy.port}` : ''}
            </span>
          )}
          <div className="muted inv-small">
            <span data-testid="system-built-on">
              {system.deploy.buildOnTarget
                ? 'builds on the host'
                : system.deploy.buildHost
                  ? `builds on ${system.deploy.buildHost}, which copies the closure to the host`
                  : 'builds here, copies the closure'}
            </span>
            {system.deploy.sudo ? ' · activates with sudo' : ''}
            {system.deploy.tags.length > 0 ? ` · tags: ${system.deploy.tags.join(', ')}` : ''}
          </div>
          {system.path && !system.path.endsWith('.nix') ? (
            <button className="btn inv-top-gap" onClick={() => setEditing((e) => !e)} data-testid="edit-deploy">
              {editing ? 'Close' : 'Edit deploy target'}
            </button>
          ) : null}
        </Field>
        <Field label="Homes">
          {homes.length === 0 ? <span className="muted">none attached</span> : homes.map((h) => <div key={h.name} className="mono">{h.path}</div>)}
        </Field>
        <Field label="Files">
          {system.files.length === 0 ? <span className="muted">—</span> : <span className="mono">{system.files.join('  ')}</span>}
        </Field>
        {system.hostKey ? (
          <Field label="Host key">
            <div className="mono" data-testid="system-host-key">
              {system.hostKey.fingerprint}
            </div>
            <div className="faint">{system.hostKey.file}</div>
            <div>
              <span className="muted">age recipient (.sops.yaml): </span>
              <span className="mono" data-testid="system-age-recipient">
                {system.hostKey.ageRecipient}
              </span>
            </div>
          </Field>
        ) : null}
        <Field label="Closure from">
          <ClosureSources name={system.name} />
        </Field>
        <Field label="Last deploy">
          <LastDeploy exact={system.name} refresh={`${inventory.revision} ${last?.id ?? ''} ${last?.status ?? ''}`} />
        </Field>
      </dl>
      {editing ? <DeployTargetForm system={system} onDone={() => setEditing(false)} /> : null}
      <HostStatusBlock name={system.name} {...(system.deploy.refused ? { refused: system.deploy.refused } : {})} />
      <h2>Secrets</h2>
      <SecretsList secrets={secretsFor(inventory, 'system', system.name, system.path)} />
      <h2>meta.json</h2>
      <pre className="inv-meta mono">{JSON.stringify(system.meta, null, 2)}</pre>
    </article>
  );
}

/** Edit meta.json `deploy`: the change is written to the checkout, to be committed like any other. */
function DeployTargetForm({ system, onDone }: { readonly system: SystemItem; readonly onDone: () => void }) {
  const raw = (typeof system.meta.deploy === 'object' && system.meta.deploy ? system.meta.deploy : {}) as Record<string, unknown>;
  const [host, setHost] = useState(typeof raw.host === 'string' ? raw.host : '');
  const [user, setUser] = useState(typeof raw.user === 'string' ? raw.user : '');
  const [port, setPort] = useState(typeof raw.port === 'number' ? String(raw.port) : '');
  const [tags, setTags] = useState(system.deploy.tags.join(', '));
  const [buildOnTarget, setBuildOnTarget] = useState(system.deploy.buildOnTarget);
  const [sudo, setSudo] = useState(typeof raw.sudo === 'boolean' ? raw.sudo : system.deploy.sudo);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    const tagList = tags.split(',').map((t) => t.trim()).filter(Boolean);
    try {
      await client().invoke('inventory.setDeployTarget', {
        system: system.name,
        deploy: {
          ...(host.trim() ? { host: host.trim() } : {}),
          ...(user.trim() ? { user: user.trim() } : {}),
          ...(port.trim() ? { port: Number(port) } : {}),
          ...(tagList.length > 0 ? { tags: tagList } : {}),
          ...(buildOnTarget ? { buildOnTarget } : {}),
          ...(sudo !== (user.trim() !== '' && user.trim() !== 'root') ? { sudo } : {}),
        },
      });
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="card inv-form" onSubmit={(e) => void submit(e)} data-testid="deploy-form">
      <div className="card-body stack">
        <div className="muted inv-small">Saved to {system.path}/meta.json (other keys and formatting are kept).</div>
        <label className="inv-form-row">
          <span>Host</span>
          <input className="input mono" value={host} placeholder={system.name} onChange={(e) => setHost(e.target.value)} spellCheck={false} data-testid="deploy-host" />
        </label>
        <label className="inv-form-row">
          <span>User</span>
          <input className="input mono" value={user} placeholder="(ssh default)" onChange={(e) => setUser(e.target.value)} spellCheck={false} />
        </label>
        <label className="inv-form-row">
          <span>Port</span>
          <input className="input mono" value={port} placeholder="22" inputMode="numeric" onChange={(e) => setPort(e.target.value.replace(/[^0-9]/g, ''))} />
        </label>
        <label className="inv-form-row">
          <span>Tags</span>
          <input className="input" value={tags} placeholder="server, lab" onChange={(e) => setTags(e.target.value)} />
        </label>
        <label className="row">
          <input type="checkbox" checked={buildOnTarget} onChange={(e) => setBuildOnTarget(e.target.checked)} /> Build on the host
        </label>
        <label className="row">
          <input type="checkbox" checked={sudo} onChange={(e) => setSudo(e.target.checked)} /> Activate with sudo
        </label>
        {error ? (
          <div className="notice err" role="alert">
            <Icon name="warning" /> {error}
          </div>
        ) : null}
        <div className="row">
          <button className="btn primary" type="submit" disabled={saving} data-testid="deploy-save">
            {saving ? <span className="spinner" /> : null} Save to meta.json
          </button>
          <button className="btn" type="button" onClick={onDone}>
            Cancel
          </button>
        </div>
      </div>
    </form>
  );
}
