import { useCallback, useEffect, useState } from 'react';
import type { JobInfo, NixInfo } from '../../../src-main/core/api';
import { ErrorNotice, type ErrorWithHint } from '../../components/ErrorNotice';
import { JobPanel } from '../../components/JobPanel';
import { useJobsStore, wireJobsStore } from '../../stores/jobs';
import { NixStatus } from './NixStatus';
import { PushToCache } from './PushToCache';
import { TargetPicker } from './TargetPicker';
import './builds.css';

const buildKinds = new Set(['build', 'flake-check', 'cache-push']);
const tone: Record<JobInfo['status'], string> = { running: 'accent', succeeded: 'ok', failed: 'err', cancelled: 'warn', interrupted: 'warn' };

function jobFromHash(): string | null {
  const [route, id] = location.hash.replace(/^#\/?/, '').split('/');
  return route === 'builds' && id ? decodeURIComponent(id) : null;
}

/** Build systems, homes and droids, check the flake, and follow each build live. */
export function BuildsScreen() {
  const [nixReady, setNixReady] = useState(true);
  const [selected, setSelected] = useState<string | null>(jobFromHash);
  const [error, setError] = useState<ErrorWithHint | null>(null);
  const [starting, setStarting] = useState(false);
  const jobs = useJobsStore((s) => s.jobs);
  const order = useJobsStore((s) => s.order);
  const listLoaded = useJobsStore((s) => s.listLoaded);
  const builds = order.map((id) => jobs[id]?.info).filter((j): j is JobInfo => Boolean(j && buildKinds.has(j.kind)));
  const current = selected ?? builds[0]?.id ?? null;
  const currentJob = current ? jobs[current]?.info : undefined;

  useEffect(() => {
    wireJobsStore();
    void useJobsStore.getState().loadList();
  }, []);
  const onInfo = useCallback((info: NixInfo) => setNixReady(info.found), []);

  const select = (id: string) => {
    setSelected(id);
    history.replaceState(null, '', `#/builds/${encodeURIComponent(id)}`);
  };
  const start = async (run: () => Promise<string>) => {
    setStarting(true);
    setError(null);
    try {
      select(await run());
    } catch (e) {
      const err = e as Error & { hint?: string };
      setError({ message: err.message, ...(err.hint ? { hint: err.hint } : {}) });
    } finally {
      setStarting(false);
    }
  };

  return (
    <div className="page builds-page" data-testid="builds-screen">
      <div className="row">
        <h1>Builds</h1>
        <span className="job-spacer" />
        <NixStatus onInfo={onInfo} />
      </div>
      <p className="lede">Build configurations to see that they evaluate and what they cost, before any deploy.</p>
      <div className="card">
        <div className="card-body stack">
          <TargetPicker disabled={!nixReady || starting} onBuild={(targets) => void start(() => useJobsStore.getState().startBuild(targets))} />
          <div className="row">
            <button className="btn" type="button" disabled={!nixReady || starting} onClick={() => void start(() => useJobsStore.getState().startFlakeCheck())} data-testid="flake-check">
              Check flake
            </button>
            <span className="muted">Runs nix flake check on the whole homelab.</span>
          </div>
          {error ? <ErrorNotice error={error} testId="build-error" /> : null}
        </div>
      </div>
      <div className="builds-split">
        <div className="card builds-list" data-testid="builds-list">
          {!listLoaded ? (
            <div className="empty"><span className="spinner" /></div>
          ) : builds.length === 0 ? (
            <div className="empty"><h2>No builds yet</h2>Pick targets above and press Build.</div>
          ) : (
            builds.map((job) => (
              <button
                key={job.id}
                type="button"
                className={`builds-item${job.id === current ? ' on' : ''}`}
                onClick={() => select(job.id)}
                data-testid="builds-item"
              >
                <span className="builds-item-title">{job.title}</span>
                <span className={`badge ${tone[job.status]}`}>{job.status}</span>
                <span className="faint">{new Date(job.startedAt).toLocaleTimeString()}</span>
              </button>
            ))
          )}
        </div>
        <div className="builds-detail">
          {current ? (
            <>
              {currentJob ? <PushToCache key={`push-${current}`} job={currentJob} /> : null}
              <JobPanel key={current} jobId={current} />
            </>
          ) : (
            <div className="empty muted">The build you start shows here, live.</div>
          )}
        </div>
      </div>
    </div>
  );
}
