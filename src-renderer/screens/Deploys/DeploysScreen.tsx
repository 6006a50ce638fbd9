import { useEffect, useState } from 'react';
import { useAppStore } from '../../stores/app';
import type { DeployRecord } from '../../../src-main/core/api';
import { formatDuration } from '../../components/JobPanel';
import { useDeployStore, wireDeployStore } from '../../stores/deploy';
import { useJobsStore, wireJobsStore } from '../../stores/jobs';
import { DeployView } from './DeployView';
import { HostsCard } from './HostsCard';
import './deploys.css';

const tones: Record<string, string> = { running: 'accent', succeeded: 'ok', failed: 'err', cancelled: 'warn', interrupted: 'warn' };

/** The job id in #/deploys/<jobId>, if any. */
function jobFromHash(): string | null {
  const part = location.hash.replace(/^#\/?/, '').split('/')[1];
  return part ? decodeURIComponent(part) : null;
}

function select(jobId: string): void {
  useAppStore.getState().navigate('deploys', jobId);
}

/**
 * Deploys: the hosts' status, the deploy in view (live or from the history) with its
 * per-host rows, logs and timeline, the history, and the other jobs (builds, checks).
 */
export function DeploysScreen() {
  const [jobId, setJobId] = useState<string | null>(jobFromHash);
  const history = useDeployStore((s) => s.history);
  const historyError = useDeployStore((s) => s.historyError);
  const toasts = useDeployStore((s) => s.toasts);
  const jobs = useJobsStore((s) => s.jobs);
  const order = useJobsStore((s) => s.order);

  useEffect(() => {
    wireDeployStore();
    wireJobsStore();
    void useDeployStore.getState().loadHistory();
    void useJobsStore.getState().loadList();
    const onHash = () => setJobId(jobFromHash());
    window.addEventListener('hashchange', onHash);
    window.addEventListener('popstate', onHash);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('popstate', onHash);
    };
  }, []);

  const shown = jobId ?? history?.[0]?.jobId ?? null;
  const record = history?.find((r) => r.jobId === shown);
  const otherJobs = order.map((id) => jobs[id]?.info).filter((j) => j && j.kind !== 'deploy' && j.kind !== 'rollback' && j.kind !== 'reboot').slice(0, 30);

  return (
    <div className="page deploys-page" data-testid="deploys-screen">
      <h1>Deploys</h1>
      <p className="lede">Deploy systems, homes and phones; every deploy is kept here with each target's stages and log.</p>
      {toasts.length > 0 ? (
        <div className="deploy-toasts">
          {toasts.map((t) => (
            <div key={t.id} className={`notice ${t.urgent ? 'err' : 'info'}`} data-testid="deploy-toast" role="status">
              <div className="stack" style={{ gap: 2 }}>
                <strong>{t.title}</strong>
                <span>{t.body}</span>
              </div>
              <span className="job-spacer" />
              <button className="btn" type="button" onClick={() => select(t.jobId)}>
                Open
              </button>
              <button className="btn" type="button" onClick={() => useDeployStore.getState().dismissToast(t.id)} aria-label="Dismiss">
                ✕
              </button>
            </div>
          ))}
        </div>
      ) : null}
      <HostsCard />
      <div className="card">
        <div className="card-body">
          {shown ? <DeployView key={shown} jobId={shown} {...(record ? { record } : {})} /> : <div className="empty"><h2>No deploy yet</h2>Deploy a host (above, or from its screen) or a droid (from the Droids screen) and follow it here.</div>}
        </div>
      </div>
      <div className="card" data-testid="deploy-history">
        <div className="card-body">
          <h2>History</h2>
          {historyError ? <div className="notice err">{historyError}</div> : null}
          {!history ? (
            <span className="spinner" />
          ) : history.length === 0 ? (
            <p className="muted">No deploys recorded yet.</p>
          ) : (
            <table className="grid">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Targets</th>
                  <th>Result</th>
                  <th>Revision</th>
                  <th>Who</th>
                  <th>Took</th>
                </tr>
              </thead>
              <tbody>
                {history.map((r: DeployRecord) => (
                  <tr key={r.id} onClick={() => select(r.jobId)} className={r.jobId === shown ? 'selected clickable' : 'clickable'} data-testid="deploy-history-row" data-status={r.status}>
                    <td>{new Date(r.startedAt).toLocaleString()}</td>
                    <td>
                      {r.targets.join(', ')} <span className="faint">({r.mode})</span>
                    </td>
                    <td>
                      <span className={`badge ${tones[r.status] ?? 'warn'}`}>{r.status}</span>{' '}
                      <span className="faint">{summary(r)}</span>
                    </td>
                    <td className="mono">
                      {r.revision ? r.revision.slice(0, 10) : '—'}
                      {r.dirty ? <span className="badge warn">dirty</span> : null}
                    </td>
                    <td>{r.who}</td>
                    <td>{r.finishedAt ? formatDuration(r.finishedAt - r.startedAt) : '…'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
      {otherJobs.length > 0 ? (
        <div className="card" data-testid="other-jobs">
          <div className="card-body">
            <h2>Builds and checks</h2>
            <table className="grid">
              <tbody>
                {otherJobs.map((j) =>
                  j ? (
                    <tr key={j.id} onClick={() => select(j.id)} className="clickable">
                      <td>{j.title}</td>
                      <td>
                        <span className={`badge ${tones[j.status] ?? 'warn'}`}>{j.status}</span>
                      </td>
                      <td>{new Date(j.startedAt).toLocaleString()}</td>
                      <td>{j.finishedAt ? formatDuration(j.finishedAt - j.startedAt) : '…'}</td>
                    </tr>
                  ) : null,
                )}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
    </div>
  );
}

function summary(r: DeployRecord): string {
  const ok = r.outcomes.filter((o) => o.status === 'succeeded').length;
  const bad = r.outcomes.filter((o) => o.status !== 'succeeded').map((o) => `${o.target} ${o.status}`);
  return [`${ok}/${r.outcomes.length} ok`, ...bad].join(', ');
}
