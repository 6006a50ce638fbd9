import { useEffect, useState } from 'react';
import type { JobInfo, WireError } from '../../../src-main/core/api';
import { client } from '../../client';
import { useJob, useJobsStore, wireJobsStore } from '../../stores/jobs';
import { LogViewer } from '../LogViewer';
import { formatBytes } from '../../../src-main/shared/units';
import { formatDuration } from './format';
import { ProgressBar } from './ProgressBar';
import { TargetRow } from './TargetRow';
import './job-panel.css';

const statusTone: Record<JobInfo['status'], string> = {
  running: 'accent',
  succeeded: 'ok',
  failed: 'err',
  cancelled: 'warn',
  interrupted: 'warn',
};

/**
 * The time to show elapsed times against: re-render every second while `active`, and the
 * clock as it is at each render (a progress event re-renders in between: the tick's time
 * would be up to a second old, and a job started since would read 0.0 s).
 */
function useNow(active: boolean): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return Date.now();
}

function JobError({ error }: { readonly error: WireError }) {
  const [problem, setProblem] = useState<string | null>(null);
  const location = error.location;
  const open = () => {
    if (!location) return;
    setProblem(null);
    client()
      .invoke('editor.open', { file: location.file, line: location.line, ...(location.column ? { column: location.column } : {}) })
      .catch((e: Error) => setProblem(e.message));
  };
  return (
    <div className="notice err job-error" data-testid="job-error">
      <div className="stack">
        <div>{error.message}</div>
        {location ? (
          <div className="row">
            <code className="mono">
              {location.file}:{location.line}
              {location.column ? `:${location.column}` : ''}
            </code>
            <button className="btn" type="button" onClick={open} data-testid="open-in-editor">
              Open in editor
            </button>
          </div>
        ) : null}
        {error.hint ? <div className="muted">{error.hint}</div> : null}
        {problem ? <div className="error-text">{problem}</div> : null}
      </div>
    </div>
  );
}

/**
 * A job at a glance: status, overall progress, a bar per target (built/total, download
 * bytes), the derivations running now with their phases, failures with their last log
 * lines, errors with "open in editor", and the full log below.
 */
export function JobPanel({ jobId, showLog = true }: { readonly jobId: string; readonly showLog?: boolean }) {
  const entry = useJob(jobId);
  const [cancelling, setCancelling] = useState(false);
  useEffect(() => {
    wireJobsStore();
    void useJobsStore.getState().open(jobId);
  }, [jobId]);
  const running = entry?.info.status === 'running';
  const now = useNow(running);
  if (!entry) {
    return (
      <div className="empty" data-testid="job-panel-loading">
        <span className="spinner" /> Loading job…
      </div>
    );
  }
  const { info } = entry;
  const progress = info.progress;
  const fraction = info.status === 'running' ? progress?.fraction : 1;
  const summary: string[] = [];
  if (progress?.builds?.total) summary.push(`built ${progress.builds.done}/${progress.builds.total}`);
  if (progress?.builds?.running) summary.push(`${progress.builds.running} running`);
  if (progress?.downloads?.total) {
    const d = progress.downloads;
    summary.push(`fetched ${d.done}/${d.total} (${formatBytes(d.bytesDone)} / ${formatBytes(d.bytesTotal)})`);
  }
  const elapsed = formatDuration((info.finishedAt ?? now) - info.startedAt);
  const cancel = () => {
    setCancelling(true);
    void useJobsStore.getState().cancel(jobId).finally(() => setCancelling(false));
  };
  return (
    <section className="job-panel" data-testid="job-panel" data-status={info.status}>
      <header className="job-head">
        <h2 className="job-title">{info.title}</h2>
        <span className={`badge ${statusTone[info.status]}`} data-testid="job-status">
          {info.status}
        </span>
        <span className="faint">{elapsed}</span>
        <span className="job-spacer" />
        {running ? (
          <button className="btn danger" type="button" onClick={cancel} disabled={cancelling} data-testid="job-cancel">
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : null}
      </header>
      <div className="job-overall">
        <ProgressBar
          fraction={fraction}
          tone={statusTone[info.status] as 'accent' | 'ok' | 'err' | 'warn'}
          label="Overall progress"
        />
        <div className="row muted job-summary">
          <span data-testid="job-percent">{fraction === undefined ? '…' : `${Math.round(fraction * 100)}%`}</span>
          <span>{summary.join(' · ')}</span>
        </div>
      </div>
      {info.error ? <JobError error={info.error} /> : null}
      {progress?.targets && progress.targets.length > 0 ? (
        <div className="job-targets">
          {progress.targets.map((t) => (
            <TargetRow key={t.target} target={t} now={now} />
          ))}
        </div>
      ) : null}
      {showLog ? (
        <div className="job-log">
          <LogViewer jobId={jobId} />
        </div>
      ) : null}
    </section>
  );
}
