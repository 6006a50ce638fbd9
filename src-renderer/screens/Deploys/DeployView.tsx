import { useEffect, useState } from 'react';
import type { TargetProgress, DeployRecord } from '../../../src-main/core/api';
import { JobPanel, ProgressBar, builtWhere, formatDuration } from '../../components/JobPanel';
import { formatBytes } from '../../../src-main/shared/units';
import { useJob, useJobsStore, wireJobsStore } from '../../stores/jobs';
import { HostChecks } from './HostChecks';
import { HostLog } from './HostLog';
import { Timeline } from './Timeline';

const tones: Record<string, 'accent' | 'ok' | 'err' | 'warn'> = {
  pending: 'accent',
  running: 'accent',
  succeeded: 'ok',
  failed: 'err',
  'rolled-back': 'err',
  skipped: 'warn',
  cancelled: 'warn',
};
const stageOrder = ['preflight', 'build', 'copy', 'activate', 'reboot', 'checks', 'confirm'];

function stageFraction(t: TargetProgress): number | undefined {
  if (t.status === 'pending') return 0;
  if (t.status !== 'running') return 1;
  const i = stageOrder.indexOf(t.stage ?? '');
  const within = t.stage === 'copy' && t.bytesTotal ? (t.bytesDone ?? 0) / t.bytesTotal : 0.3;
  return i < 0 ? undefined : (i + within) / stageOrder.length;
}

/**
 * One deploy: a row per host with its stage and progress, each host's log on its own,
 * and after the end the timeline chart. Works for a running deploy (live job events) and
 * for one from the history (its record).
 */
export function DeployView({ jobId, record }: { readonly jobId: string; readonly record?: DeployRecord }) {
  const entry = useJob(jobId);
  const [selected, setSelected] = useState<string | null>(null);
  useEffect(() => {
    wireJobsStore();
    void useJobsStore.getState().open(jobId).catch(() => undefined);
  }, [jobId]);
  const live = entry?.info.progress?.targets;
  const rows: readonly TargetProgress[] =
    live && live.length > 0
      ? live
      : (record?.outcomes.map((o) => ({
          target: o.target,
          status: o.status,
          ...(o.stage ? { stage: o.stage } : {}),
          ...(o.message ? { message: o.message } : {}),
          ...(o.upToDate ? { upToDate: true } : {}),
          ...(o.checks ? { checks: o.checks } : {}),
          ...(o.builtOn ? { builtOn: o.builtOn } : {}),
          ...(o.copiedFrom ? { copiedFrom: o.copiedFrom } : {}),
          ...(o.relayedBecause ? { relayedBecause: o.relayedBecause } : {}),
          ...(o.fetchedFromCache ? { fetchedFromCache: o.fetchedFromCache } : {}),
          stages: o.stages,
        })) ?? []);
  if (!entry && !record) return <div className="empty"><span className="spinner" /></div>;
  if (entry && entry.info.kind !== 'deploy' && entry.info.kind !== 'rollback' && entry.info.kind !== 'reboot') return <JobPanel jobId={jobId} />;
  const status = entry?.info.status ?? record?.status ?? 'running';
  const running = status === 'running';
  const startedAt = entry?.info.startedAt ?? record?.startedAt ?? Date.now();
  const finishedAt = entry?.info.finishedAt ?? record?.finishedAt;
  const host = selected ?? rows[0]?.target ?? null;
  return (
    <section className="deploy-view" data-testid="deploy-view" data-status={status}>
      <header className="row deploy-view-head">
        <h2>{entry?.info.title ?? `Deploy ${record?.targets.join(', ')}`}</h2>
        <span className={`badge ${tones[status] ?? 'warn'}`} data-testid="deploy-status">
          {status}
        </span>
        {finishedAt ? <span className="faint">{formatDuration(finishedAt - startedAt)}</span> : null}
        <span className="job-spacer" />
        {running ? (
          <button className="btn danger" type="button" onClick={() => void useJobsStore.getState().cancel(jobId)} data-testid="deploy-cancel">
            Cancel
          </button>
        ) : null}
      </header>
      {entry?.info.error && !running ? <div className="notice err">{entry.info.error.message}</div> : null}
      <table className="grid deploy-hosts">
        <thead>
          <tr>
            <th>Target</th>
            <th>Stage</th>
            <th style={{ width: '34%' }}>Progress</th>
            <th>Result</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr
              key={t.target}
              className={t.target === host ? 'selected' : ''}
              onClick={() => setSelected(t.target)}
              data-testid="deploy-host-row"
              data-target={t.target}
              data-status={t.status}
              data-stage={t.stage ?? ''}
            >
              <td>
                <strong>{t.target}</strong>
                {t.builtOn ? (
                  <div className="faint" data-testid="deploy-host-built-on">
                    {whereBuilt(t)}
                  </div>
                ) : null}
              </td>
              <td>{t.stage ?? '—'}</td>
              <td>
                <ProgressBar fraction={stageFraction(t)} tone={tones[t.status] ?? 'accent'} label={`${t.target} progress`} />
                {t.bytesTotal ? (
                  <div className="faint">
                    {formatBytes(t.bytesDone ?? 0)} / {formatBytes(t.bytesTotal)}
                    {t.total ? ` · ${t.done ?? 0}/${t.total} paths` : ''}
                  </div>
                ) : null}
              </td>
              <td>
                <span className={`badge ${tones[t.status] ?? 'warn'}`} data-testid="deploy-host-result">
                  {t.upToDate ? 'up to date' : t.status}
                </span>
                {t.message ? (
                  <div className={t.status === 'failed' || t.status === 'rolled-back' ? 'error-text' : 'muted'} data-testid="deploy-host-message">
                    {t.message}
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!running && finishedAt && rows.some((r) => (r.stages?.length ?? 0) > 0) ? (
        <Timeline rows={rows.map((r) => ({ target: r.target, status: r.status, stages: r.stages ?? [] }))} startedAt={startedAt} finishedAt={finishedAt} />
      ) : null}
      {host ? <HostChecks target={host} checks={rows.find((r) => r.target === host)?.checks} /> : null}
      {host ? (
        <div className="deploy-host-log" data-testid="deploy-host-log" data-target={host}>
          <h3>Log of {host}</h3>
          <HostLog jobId={jobId} target={host} />
        </div>
      ) : null}
    </section>
  );
}

/** Where a host's closure is built and where the host gets it from, in the user's words. */
function whereBuilt(t: TargetProgress): string {
  const parts = [builtWhere(t.builtOn ?? 'here')];
  const fetched = t.fetchedFromCache && t.fetchedFromCache.paths > 0 ? t.fetchedFromCache : undefined;
  if (fetched) parts.push(`${formatBytes(fetched.bytes)} fetched from the cache`);
  // A build host that cannot reach its host hands the closure to this computer, which streams it on.
  if (t.relayedBecause) parts.push(`relayed through this computer: ${t.relayedBecause}`);
  else if (t.copiedFrom && t.copiedFrom !== 'cache' && t.copiedFrom !== 'here') parts.push(fetched ? `the rest sent by ${t.copiedFrom}` : `sent by ${t.copiedFrom}`);
  if (t.copiedFrom === 'here' && fetched) parts.push('the rest sent from here');
  return parts.join(' · ');
}
