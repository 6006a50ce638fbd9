import { useEffect, useState } from 'react';
import type { JobInfo } from '../../../src-main/core/api';
import { client } from '../../client';

const statusBadge: Record<JobInfo['status'], string> = {
  running: 'accent',
  succeeded: 'ok',
  failed: 'err',
  cancelled: 'warn',
  interrupted: 'warn',
};

/** Every job the app ran (builds, deploys), newest first, with its log. */
export function DeploysScreen() {
  const [jobs, setJobs] = useState<readonly JobInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [log, setLog] = useState<readonly string[]>([]);

  useEffect(() => {
    let live = true;
    const load = () =>
      client()
        .invoke('jobs.list', { limit: 200 })
        .then((list) => live && setJobs(list))
        .catch((e: Error) => live && setError(e.message));
    void load();
    const off = client().subscribe((event) => {
      if (event.type === 'job.created' || event.type === 'job.status') void load();
    });
    return () => {
      live = false;
      off();
    };
  }, []);

  useEffect(() => {
    if (!selected) return;
    void client()
      .invoke('jobs.log', { jobId: selected, max: 5000 })
      .then((r) => setLog(r.lines))
      .catch((e: Error) => setLog([`Could not read the log: ${e.message}`]));
  }, [selected]);

  if (error) return <div className="page"><div className="notice err">{error}</div></div>;
  if (!jobs) return <div className="empty"><span className="spinner" /></div>;
  return (
    <div className="page" data-testid="deploys-screen">
      <h1>Deploys and builds</h1>
      <p className="lede">Everything the app ran, newest first. Logs are kept in the app's data folder.</p>
      {jobs.length === 0 ? (
        <div className="card"><div className="empty"><h2>No jobs yet</h2>Build or deploy a system and it shows up here.</div></div>
      ) : (
        <div className="card">
          <table className="grid">
            <thead><tr><th>Job</th><th>Status</th><th>Started</th><th>Took</th></tr></thead>
            <tbody>
              {jobs.map((job) => (
                <tr key={job.id} onClick={() => setSelected(job.id)} style={{ cursor: 'pointer' }}>
                  <td>{job.title}<div className="faint mono">{job.id}</div></td>
                  <td><span className={`badge ${statusBadge[job.status]}`}>{job.status}</span></td>
                  <td>{new Date(job.startedAt).toLocaleString()}</td>
                  <td>{job.finishedAt ? `${((job.finishedAt - job.startedAt) / 1000).toFixed(1)} s` : '…'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selected ? (
        <div className="card">
          <div className="card-body">
            <h2>Log of {selected}</h2>
            <pre className="mono" style={{ maxHeight: 400, overflow: 'auto', margin: 0 }}>{log.join('\n')}</pre>
          </div>
        </div>
      ) : null}
    </div>
  );
}
