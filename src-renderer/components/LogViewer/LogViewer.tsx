import { useEffect } from 'react';
import { useJob, useJobsStore, wireJobsStore } from '../../stores/jobs';
import { LogView } from './LogView';

/** The log of a job: live while it runs, read back from its file when it ran before. */
export function LogViewer({ jobId }: { readonly jobId: string }) {
  const entry = useJob(jobId);
  useEffect(() => {
    wireJobsStore();
    void useJobsStore.getState().open(jobId);
  }, [jobId]);
  if (!entry) return <div className="empty"><span className="spinner" /></div>;
  const empty =
    entry.history === 'loading' ? 'Reading the log…' : entry.history === 'error' ? 'The log file could not be read.' : 'No output yet.';
  return <LogView buffer={entry.log} version={entry.logVersion} emptyText={empty} footer={`Full log: ${entry.info.logFile}`} />;
}
