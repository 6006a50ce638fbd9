import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { DeployPreview } from '../../../src-main/core/api';
import { useDeployStore, wireDeployStore, type DeployRequest } from '../../stores/deploy';
import { useJobStart } from '../use-job-start';
import { DeployChecks } from './DeployChecks';
import { DeploySources } from './DeploySources';
import './deploy-sheet.css';

export interface DeploySheetProps {
  /** What to deploy: system names, @tags, all, home:<user>@<host>. */
  readonly targets: readonly string[];
  readonly onClose: () => void;
  /** Called with the job id once the deploy started. */
  readonly onStarted?: (jobId: string) => void;
  /** Where the closure diff goes (the diffs engineer fills it): what changes on each host. */
  readonly diffSlot?: (preview: DeployPreview) => ReactNode;
}

/**
 * The confirmation before a deploy: what will happen (targets, hosts, mode, magic
 * rollback) and which hosts are offline, from a pre-flight that changes nothing.
 */
export function DeploySheet({ targets, onClose, onStarted, diffSlot }: DeploySheetProps) {
  const [preview, setPreview] = useState<DeployPreview | null>(null);
  const { problem, setProblem, starting, start } = useJobStart(onStarted, onClose);
  const [mode, setMode] = useState<DeployRequest['mode']>('switch');
  const [magicRollback, setMagicRollback] = useState(true);
  const [confirmTimeout, setConfirmTimeout] = useState(30);
  const [parallel, setParallel] = useState(4);
  const [canary, setCanary] = useState(false);
  const [keepGoing, setKeepGoing] = useState(true);
  const [runChecks, setRunChecks] = useState(true);
  // Reboot afterwards: boot mode, then the systems reboot one at a time (fleet deploy --reboot).
  const [reboot, setReboot] = useState(false);
  const onlySystems = targets.every((t) => !t.startsWith('home:') && !t.startsWith('droid:'));
  const hasHomes = targets.some((t) => t.startsWith('home:'));
  // Home targets may log in as another user than the home's name (fleet deploy --as).
  const [asUser, setAsUser] = useState('');
  const [previewUser, setPreviewUser] = useState('');
  const validUser = /^[a-z_][a-z0-9_-]*$/.test(asUser.trim());
  const key = `${targets.join(' ')}\0${previewUser}`;

  useEffect(() => {
    wireDeployStore();
    let live = true;
    setPreview(null);
    setProblem(null);
    useDeployStore
      .getState()
      .preview(targets, previewUser || undefined)
      .then((p) => live && setPreview(p))
      .catch((e: Error) => live && setProblem(e.message));
    return () => {
      live = false;
    };
  }, [key]);

  const offline = preview?.hosts.filter((h) => !h.online) ?? [];
  const online = preview ? preview.targets.length - offline.length : 0;
  // With "Reboot afterwards" the deploy runs in boot mode: no confirm window applies.
  const rollbackApplies = !reboot && (mode === 'switch' || mode === 'test');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const wantedUser = validUser ? asUser.trim() : '';
    if (hasHomes && wantedUser !== previewUser) {
      // The login user changed: check the hosts as that user before deploying.
      setPreviewUser(wantedUser);
      return;
    }
    start(() => useDeployStore.getState().start({ targets, mode: reboot ? 'boot' : mode, ...(reboot ? { reboot: true } : {}), magicRollback, confirmTimeoutSeconds: confirmTimeout, parallel, canary, keepGoing, ...(hasHomes && previewUser ? { asUser: previewUser } : {}), ...(runChecks ? {} : { skipChecks: true }) }));
  };

  return (
    <div className="sheet-backdrop" role="presentation" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <form className="sheet deploy-sheet" role="dialog" aria-modal="true" aria-labelledby="deploy-sheet-title" onSubmit={submit} data-testid="deploy-sheet">
        <header id="deploy-sheet-title">Deploy {targets.join(', ')}</header>
        <div className="sheet-body stack">
          {problem ? <div className="notice err" data-testid="deploy-sheet-error">{problem}</div> : null}
          {!preview && !problem ? (
            <div className="row muted">
              <span className="spinner" /> Checking the hosts…
            </div>
          ) : null}
          {preview ? (
            <table className="grid deploy-sheet-hosts">
              <thead>
                <tr>
                  <th>Target</th>
                  <th>Host</th>
                  <th>Now</th>
                  <th>State</th>
                </tr>
              </thead>
              <tbody>
                {preview.targets.map((t) => {
                  const h = preview.hosts.find((x) => x.target === t.id);
                  return (
                    <tr key={t.id} data-testid="deploy-sheet-host" data-online={h?.online ? 'yes' : 'no'}>
                      <td>
                        <strong>{t.id}</strong>
                        {t.tags.length > 0 ? <div className="faint">{t.tags.map((x) => `@${x}`).join(' ')}</div> : null}
                      </td>
                      <td className="mono">
                        {t.user ? `${t.user}@` : ''}
                        {t.host}
                        {t.port ? `:${t.port}` : ''}
                        {t.sudo ? <span className="badge">sudo</span> : null}
                      </td>
                      <td>{h?.generation !== undefined ? `generation ${h.generation}` : h?.online ? 'nothing deployed yet' : '—'}</td>
                      <td>
                        {h?.online ? (
                          <span className="badge ok">online</span>
                        ) : (
                          <span className="badge err" title={h?.error}>
                            offline
                          </span>
                        )}
                        {h?.lock ? <span className="badge warn">locked</span> : null}
                        {!h?.online && h?.error ? <div className="faint deploy-sheet-why">{h.error}</div> : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ) : null}
          {offline.length > 0 ? (
            <div className="notice warn" data-testid="deploy-sheet-offline">
              {offline.length} host{offline.length === 1 ? ' is' : 's are'} offline and will be skipped: {offline.map((h) => h.target).join(', ')}.
            </div>
          ) : null}
          {preview && online > 0 ? (
            <p className="muted deploy-sheet-plan" data-testid="deploy-sheet-plan">
              Build {online === 1 ? 'the configuration' : `${online} configurations`}, copy only the store paths each host lacks, then{' '}
              {reboot
                ? 'make it the boot default and reboot the hosts one at a time, each checked to have booted it'
                : mode === 'dry-activate'
                  ? 'show what activation would change (nothing is changed)'
                  : mode === 'boot'
                    ? 'make it the boot default (active after a reboot)'
                    : `activate it (${mode})`}
              {magicRollback && rollbackApplies ? `; each host rolls back by itself unless confirmed within ${confirmTimeout} s` : magicRollback && (reboot || mode === 'boot') ? '; a failed activation rolls back' : '; no automatic rollback'}.
            </p>
          ) : null}
          {preview && online > 0 ? <DeploySources targets={targets} {...(previewUser ? { asUser: previewUser } : {})} /> : null}
          {preview ? <DeployChecks targets={preview.targets} mode={mode} skip={!runChecks} reboot={reboot} /> : null}
          {preview && diffSlot ? <div className="deploy-sheet-diff">{diffSlot(preview)}</div> : null}
          <div className="deploy-sheet-options">
            <label className="stack">
              <span className="muted">Mode</span>
              <select className="input" value={reboot ? 'boot' : mode} disabled={reboot} onChange={(e) => setMode(e.target.value as DeployRequest['mode'])} data-testid="deploy-mode">
                <option value="switch">switch: activate now and make it the boot default</option>
                <option value="boot">boot: make it the boot default only</option>
                <option value="test">test: activate now, keep the boot default</option>
                <option value="dry-activate">dry-activate: show what would change</option>
              </select>
            </label>
            <div className="stack" style={{ gap: 4 }}>
              <label className="row">
                <input type="checkbox" checked={magicRollback} onChange={(e) => setMagicRollback(e.target.checked)} data-testid="deploy-rollback" />
                <span>Magic rollback{rollbackApplies ? '' : <span className="faint"> (applies to switch and test)</span>}</span>
              </label>
              <label className="row deploy-sheet-indent">
                <span className="faint">The host returns to its previous generation by itself unless the app reaches it again within</span>
                <input className="input deploy-sheet-num" type="number" min={2} max={600} value={confirmTimeout} disabled={!magicRollback} onChange={(e) => setConfirmTimeout(Number(e.target.value))} aria-label="Confirm timeout in seconds" />
                <span className="faint">seconds.</span>
              </label>
            </div>
            {onlySystems ? (
              <label className="row">
                <input type="checkbox" checked={reboot} onChange={(e) => setReboot(e.target.checked)} data-testid="deploy-reboot" />
                <span>
                  Reboot afterwards <span className="faint">(boot mode; one host down at a time, waits for each and checks what it booted)</span>
                </span>
              </label>
            ) : null}
            <label className="row">
              <input type="checkbox" checked={runChecks} onChange={(e) => setRunChecks(e.target.checked)} data-testid="deploy-run-checks" />
              <span>Run health checks after the switch</span>
            </label>
            {hasHomes ? (
              <label className="row">
                <span className="muted">Log in as</span>
                <input
                  className="input"
                  placeholder="the home's own user"
                  value={asUser}
                  onChange={(e) => setAsUser(e.target.value)}
                  onBlur={() => setPreviewUser(validUser ? asUser.trim() : '')}
                  aria-label="Log in as user for home targets"
                  data-testid="deploy-as-user"
                  spellCheck={false}
                />
                {asUser.trim() && !validUser ? <span className="error-text">not a user name</span> : null}
              </label>
            ) : null}
            <label className="row">
              <span className="muted">Hosts at once</span>
              <input className="input deploy-sheet-num" type="number" min={1} max={64} value={parallel} onChange={(e) => setParallel(Number(e.target.value))} />
              <label className="row">
                <input type="checkbox" checked={canary} onChange={(e) => setCanary(e.target.checked)} /> Canary first
              </label>
              <label className="row">
                <input type="checkbox" checked={keepGoing} onChange={(e) => setKeepGoing(e.target.checked)} /> Keep going after a failure
              </label>
            </label>
          </div>
        </div>
        <footer>
          <button className="btn" type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" type="submit" disabled={!preview || online === 0 || starting} data-testid="deploy-confirm">
            {starting ? 'Starting…' : `Deploy ${online} host${online === 1 ? '' : 's'}`}
          </button>
        </footer>
      </form>
    </div>
  );
}
