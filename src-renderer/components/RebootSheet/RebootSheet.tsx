import { useEffect, useState, type FormEvent } from 'react';
import type { DeployPreview } from '../../../src-main/core/api';
import { useDeployStore, wireDeployStore } from '../../stores/deploy';
import { useJobStart } from '../use-job-start';
import { rollingOrder } from './rolling-order';
import '../DeploySheet/deploy-sheet.css';

export interface RebootSheetProps {
  /** The systems to reboot (names or @tags), in the order they go down. */
  readonly targets: readonly string[];
  readonly onClose: () => void;
  /** Called with the job id once the reboot started. */
  readonly onStarted?: (jobId: string) => void;
}

/**
 * The confirmation before a reboot: the hosts by name, what each should boot, the rolling
 * order (canary first, how many down at once), the timeout; from a pre-flight that changes
 * nothing. Offline hosts are named: they are skipped.
 */
export function RebootSheet({ targets, onClose, onStarted }: RebootSheetProps) {
  const [preview, setPreview] = useState<DeployPreview | null>(null);
  const { problem, setProblem, starting, start } = useJobStart(onStarted, onClose);
  const [parallel, setParallel] = useState(1);
  const [canary, setCanary] = useState(targets.length > 1);
  const [allAtOnce, setAllAtOnce] = useState(false);
  const [timeoutSeconds, setTimeoutSeconds] = useState(300);
  const [runChecks, setRunChecks] = useState(true);

  useEffect(() => {
    wireDeployStore();
    let live = true;
    useDeployStore
      .getState()
      .preview(targets)
      .then((p) => live && setPreview(p))
      .catch((e: Error) => live && setProblem(e.message));
    return () => {
      live = false;
    };
  }, [targets.join(' ')]);

  const online = preview?.targets.filter((t) => preview.hosts.find((h) => h.target === t.id)?.online) ?? [];
  const offline = preview?.hosts.filter((h) => !h.online) ?? [];
  const notSystems = preview?.targets.filter((t) => t.kind !== 'system') ?? [];
  const waves = rollingOrder(
    online.map((t) => t.id),
    parallel,
    canary,
    allAtOnce,
  );
  const names = online.map((t) => t.id);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    start(() => useDeployStore.getState().reboot({ targets, parallel, canary, allAtOnce, timeoutSeconds, ...(runChecks ? {} : { skipChecks: true }) }));
  };

  return (
    <div className="sheet-backdrop" role="presentation" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <form className="sheet deploy-sheet" role="dialog" aria-modal="true" aria-labelledby="reboot-sheet-title" onSubmit={submit} data-testid="reboot-sheet">
        <header id="reboot-sheet-title">Reboot {targets.join(', ')}</header>
        <div className="sheet-body stack">
          {problem ? <div className="notice err" data-testid="reboot-sheet-error">{problem}</div> : null}
          {!preview && !problem ? (
            <div className="row muted">
              <span className="spinner" /> Checking the hosts…
            </div>
          ) : null}
          {notSystems.length > 0 ? <div className="notice err">Only systems reboot: {notSystems.map((t) => t.id).join(', ')} cannot.</div> : null}
          {offline.length > 0 ? (
            <div className="notice warn" data-testid="reboot-sheet-offline">
              {offline.length} host{offline.length === 1 ? ' is' : 's are'} offline and will be skipped: {offline.map((h) => h.target).join(', ')}.
            </div>
          ) : null}
          {preview && online.length > 0 ? (
            <>
              <p className="muted" data-testid="reboot-sheet-plan">
                Each host boots its boot default. The app waits for it to go down and come back (at most {timeoutSeconds} s), checks that it booted that generation
                {runChecks ? ' and runs its health checks' : ''}, then goes on. A host that does not come back in time is reported and never rebooted again; it is
                watched for as long again ({timeoutSeconds} s more), and if it answers, what it booted is reported.
              </p>
              <ol className="reboot-order" data-testid="reboot-order">
                {waves.map((wave, i) => (
                  <li key={wave.hosts.join(' ')} data-testid="reboot-wave">
                    {wave.hosts.map((id) => {
                      const h = preview.hosts.find((x) => x.target === id);
                      return (
                        <span key={id} className="reboot-host">
                          <strong>{id}</strong>
                          <span className="faint">{h?.generation !== undefined ? ` generation ${h.generation}` : ''}</span>
                          {h?.needsReboot ? <span className="badge warn">reboot needed</span> : null}
                        </span>
                      );
                    })}
                    <span className="faint">
                      {wave.canary ? ' — alone first (canary): the others only if it comes back healthy' : i === 0 ? ' — first' : ' — once the hosts before are back'}
                    </span>
                  </li>
                ))}
              </ol>
            </>
          ) : null}
          <div className="deploy-sheet-options">
            <label className="row">
              <span className="muted">Hosts down at once</span>
              <input className="input deploy-sheet-num" type="number" min={1} max={64} value={parallel} onChange={(e) => setParallel(Math.max(1, Number(e.target.value) || 1))} data-testid="reboot-parallel" />
              <label className="row">
                <input type="checkbox" checked={canary} onChange={(e) => setCanary(e.target.checked)} data-testid="reboot-canary" /> Canary first
              </label>
            </label>
            <label className="row">
              <input type="checkbox" checked={allAtOnce} onChange={(e) => setAllAtOnce(e.target.checked)} data-testid="reboot-all-at-once" />
              <span>
                All at once allowed <span className="faint">(otherwise one host of the selection, and of each tag, stays up)</span>
              </span>
            </label>
            <label className="row">
              <span className="muted">Wait for each host at most</span>
              <input className="input deploy-sheet-num" type="number" min={5} max={3600} value={timeoutSeconds} onChange={(e) => setTimeoutSeconds(Number(e.target.value))} aria-label="Reboot timeout in seconds" />
              <span className="faint">seconds</span>
            </label>
            <label className="row">
              <input type="checkbox" checked={runChecks} onChange={(e) => setRunChecks(e.target.checked)} />
              <span>Run health checks once it is back</span>
            </label>
          </div>
        </div>
        <footer>
          <button className="btn" type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" type="submit" disabled={!preview || names.length === 0 || notSystems.length > 0 || starting} data-testid="reboot-confirm">
            {starting ? 'Starting…' : names.length === 1 ? `Reboot ${names[0]}` : `Reboot ${names.length} hosts`}
          </button>
        </footer>
      </form>
    </div>
  );
}
