import { useState } from 'react';
import type { InstallResult } from '../../../src-main/core/api';
import { client } from '../../client';
import { useJobsStore } from '../../stores/jobs';

/**
 * Progress of the install job: its stage, what is on the machine's disk right now (as the
 * core says it), its last log lines, Cancel while cancelling leaves the disk as it was, and
 * at the end its result (host key, age recipient) or its error with the disk's state.
 */
export function InstallProgress({ jobId }: { readonly jobId: string }) {
  const entry = useJobsStore((s) => s.jobs[jobId]);
  useJobsStore((s) => s.jobs[jobId]?.logVersion);
  const [cancelling, setCancelling] = useState(false);
  const info = entry?.info;
  const log = entry?.log;
  const lines = log ? Array.from({ length: Math.min(12, log.length) }, (_, i) => log.plain(log.length - Math.min(12, log.length) + i)) : [];
  const result = info?.status === 'succeeded' ? (info.result as InstallResult) : undefined;
  const running = !info || info.status === 'running';
  const progress = info?.progress;
  const cancel = () => {
    setCancelling(true);
    void client()
      .invoke('jobs.cancel', { jobId })
      .catch(() => setCancelling(false));
  };
  return (
    <div className="stack" data-testid="install-progress" data-status={info?.status ?? 'running'}>
      <div className="row">
        {running ? <span className="spinner" /> : null}
        <strong>{progress?.label ?? 'Starting…'}</strong>
        <span className="install-spacer" />
        {running && progress?.safeToCancel !== false ? (
          <button className="btn" type="button" onClick={cancel} disabled={cancelling} data-testid="install-cancel">
            {cancelling ? 'Cancelling…' : 'Cancel install'}
          </button>
        ) : null}
      </div>
      <progress max={1} value={progress?.fraction ?? 0} className="install-bar" />
      {running && progress?.state ? (
        <div className={`notice ${progress.safeToCancel === false ? 'warn' : 'info'}`} data-testid="install-state">
          <div>
            <strong>The machine now: </strong>
            {progress.state}
            {progress.safeToCancel === false ? ' Cancelling is no longer offered: it would leave the disk half-written.' : ''}
          </div>
        </div>
      ) : null}
      <pre className="install-log mono">{lines.join('\n')}</pre>
      {result ? (
        <div className="notice ok" data-testid="install-done">
          <div className="stack">
            <div>
              Installed on <span className="mono">{result.disk}</span>; it runs <span className="mono">{result.toplevel.slice(44)}</span>.
            </div>
            <div>
              New host key <span className="mono">{result.hostKeyFingerprint}</span>, in known_hosts as {result.knownHostsNames.join(', ')} and in{' '}
              <span className="mono">{result.hostKeyFile}</span>: not in git yet (the system was built from the checkout as it was); commit it to keep it.
            </div>
            <div>
              Age recipient for .sops.yaml: <span className="mono" data-testid="install-age-recipient">{result.ageRecipient}</span>
            </div>
          </div>
        </div>
      ) : null}
      {!running && !result ? (
        <div className="notice err install-error" data-testid="install-failed">
          {info?.error?.message ?? `The install ${info?.status ?? 'stopped'}.`}
        </div>
      ) : null}
    </div>
  );
}
