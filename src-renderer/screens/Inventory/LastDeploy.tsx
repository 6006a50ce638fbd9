import { useEffect, useState } from 'react';
import type { DeployRecord, TargetOutcome } from '../../../src-main/core/api';
import { client } from '../../client';

type Found = { readonly record: DeployRecord; readonly outcome: TargetOutcome };

/** How long ago a time was, in words a person reads at a glance. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129_600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

/**
 * The last deploy that touched an item, from the deploy history: its outcome, when, the
 * revision deployed. A system's deploy target is its name (`exact`); a home's are
 * home:<user>@<host> (`prefix`). Blank until there are deploys.
 */
export function LastDeploy({ exact, prefix, refresh }: { readonly exact?: string; readonly prefix?: string; readonly refresh: number | string }) {
  const [found, setFound] = useState<Found | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    client()
      .invoke('deploy.history', { limit: 200 })
      .then((records) => {
        if (!live) return;
        for (const record of records) {
          const outcome = record.outcomes.find((o) => o.target === exact || (prefix !== undefined && o.target.startsWith(prefix)));
          if (outcome) return setFound({ record, outcome });
        }
        setFound(null);
      })
      .catch(() => live && setFound(null));
    return () => {
      live = false;
    };
  }, [exact, prefix, refresh]);
  if (found === undefined) return <span className="muted">…</span>;
  if (found === null) return <span className="muted">no deploys recorded yet</span>;
  const { record, outcome } = found;
  const tone = outcome.status === 'succeeded' ? 'ok' : outcome.status === 'running' || outcome.status === 'pending' ? 'accent' : 'err';
  return (
    <span data-testid="last-deploy" data-status={outcome.status}>
      <span className={`badge ${tone}`}>{outcome.upToDate ? 'up to date' : outcome.status}</span> {ago(record.finishedAt ?? record.startedAt)}
      {record.revision ? <span className="mono"> · {record.revision.slice(0, 8)}{record.dirty ? '+dirty' : ''}</span> : null}
      {outcome.generation !== undefined ? ` · generation ${outcome.generation}` : ''}
      {outcome.rolledBackTo !== undefined ? ` · rolled back to ${outcome.rolledBackTo}` : ''}
      {' · '}
      <a className="inv-link-inline" href={`#/deploys/${encodeURIComponent(record.jobId)}`} data-testid="last-deploy-link">
        open deploy
      </a>
      {outcome.message && outcome.status !== 'succeeded' ? <div className="muted inv-small">{outcome.message}</div> : null}
    </span>
  );
}
