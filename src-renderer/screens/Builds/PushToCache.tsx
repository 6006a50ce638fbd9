import { useEffect, useState } from 'react';
import type { BuildResult, CacheInfo, JobInfo } from '../../../src-main/core/api';
import { pushGroups, pushRoute, type PushGroup } from '../../../src-main/shared/push-groups';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobPanel } from '../../components/JobPanel';
import { useJobStart } from '../../components/use-job-start';
import { useDeployStore } from '../../stores/deploy';
import { useJob } from '../../stores/jobs';
import { client } from '../../client';

function PushGroupRow({ group, cache }: { readonly group: PushGroup; readonly cache: CacheInfo }) {
  const [jobId, setJobId] = useState<string | null>(null);
  const { problem, setProblem, starting, start } = useJobStart(setJobId, () => undefined);
  const pushing = useJob(jobId)?.info.status === 'running';
  const push = () => {
    setProblem(null);
    start(async () => {
      const { jobId: id } = await client().invoke('cache.push', { paths: [...group.paths], ...(group.buildHost ? { buildHost: group.buildHost } : {}) });
      return id;
    });
  };
  const count = `${group.paths.length} output${group.paths.length === 1 ? '' : 's'}`;
  return (
    <div className="stack push-group" data-testid="push-group" data-build-host={group.buildHost ?? 'here'}>
      <div className="row">
        <div className="push-group-what">
          <div>
            {count} <span className="faint">({group.targets.join(', ')})</span>
          </div>
          <div className="muted" data-testid="push-route">
            {pushRoute(group.buildHost, cache.url)}
          </div>
        </div>
        <span className="job-spacer" />
        <button className="btn primary" type="button" disabled={starting || pushing} onClick={push} data-testid="push-to-cache">
          {starting ? 'Starting…' : pushing ? 'Pushing…' : jobId ? 'Push again' : 'Push to cache'}
        </button>
      </div>
      {problem ? <ErrorNotice error={{ message: problem }} testId="push-error" /> : null}
      {jobId ? (
        <div className="push-job" data-testid="push-job" data-job-id={jobId}>
          <JobPanel key={jobId} jobId={jobId} />
        </div>
      ) : null}
    </div>
  );
}

/**
 * After a build: copy its outputs' closures, signed, to the homelab's binary cache, one
 * cache.push per store (here, or the build host that built them). Without a cache, says where
 * to set one.
 */
export function PushToCache({ job }: { readonly job: JobInfo }) {
  const cache = useDeployStore((s) => s.cache);
  const cacheError = useDeployStore((s) => s.cacheError);
  useEffect(() => {
    void useDeployStore.getState().loadCache();
  }, []);
  if (job.kind !== 'build' || job.status === 'running') return null;
  const { groups, onHosts } = pushGroups(job.result as Partial<BuildResult> | undefined);
  if (groups.length === 0 && onHosts.length === 0) return null;
  const state = cache === undefined ? 'loading' : cache === null ? 'none' : 'set';
  return (
    <div className="card push-card" data-testid="push-card" data-cache={state} data-job-id={job.id}>
      <div className="card-body stack">
        <div className="row">
          <h2 className="push-title">Push to cache</h2>
          {cache ? (
            <code className="mono faint" data-testid="push-cache-url">
              {cache.url}
            </code>
          ) : null}
        </div>
        {cache === undefined ? (
          <div className="row muted">
            <span className="spinner" /> Reading the binary cache setting…
          </div>
        ) : cache === null ? (
          cacheError ? (
            <ErrorNotice error={{ message: cacheError }} testId="push-cache-error" />
          ) : (
            <div className="muted" data-testid="push-no-cache">
              This homelab has no binary cache. Set one (a file://, ssh:// or s3:// URL and a signing key) in{' '}
              <a href="#/settings" data-testid="push-settings-link">
                Settings
              </a>{' '}
              to push built closures there, signed, for hosts to fetch.
            </div>
          )
        ) : (
          <>
            <span className="muted">Signs each closure with the cache&apos;s key and copies it there; hosts that trust the key fetch it from the cache at deploy.</span>
            {groups.map((g) => (
              <PushGroupRow key={g.buildHost ?? ''} group={g} cache={cache} />
            ))}
          </>
        )}
        {onHosts.length > 0 ? (
          <span className="faint" data-testid="push-on-hosts">
            {onHosts.join(', ')}: built on the host itself, not in a store this app pushes from.
          </span>
        ) : null}
      </div>
    </div>
  );
}
