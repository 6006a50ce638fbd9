import { useMemo } from 'react';
import { LogBuffer, LogView } from '../../components/LogViewer';
import { useJob } from '../../stores/jobs';

/** One host's own lines of a deploy's log (the job log holds every host, each line tagged). */
export function HostLog({ jobId, target }: { readonly jobId: string; readonly target: string }) {
  const entry = useJob(jobId);
  const version = entry?.logVersion ?? 0;
  const buffer = useMemo(() => {
    const own = new LogBuffer(50_000);
    const all = entry?.log;
    if (all) {
      for (let i = 0; i < all.length; i++) {
        const t = all.target(i);
        if (t === target || t === undefined) own.push(all.text(i), all.stream(i), t);
      }
    }
    return own;
    // The job's buffer is mutable; its version says when it changed.
  }, [entry?.log, version, target]);
  return <LogView buffer={buffer} version={version} emptyText="No output from this host yet." footer={entry ? `Full log: ${entry.info.logFile}` : undefined} />;
}
