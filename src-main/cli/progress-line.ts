import type { JobProgress } from '../core/jobs/types';
import { formatBytes } from '../shared/units';

/** One terminal line summarising a job's progress, like nom's footer. */
export function renderProgressLine(progress: JobProgress, width: number): string {
  const parts: string[] = [];
  if (progress.builds && progress.builds.total > 0) {
    const b = progress.builds;
    parts.push(`built ${b.done}/${b.total}${b.running ? `, ${b.running} running` : ''}${b.failed ? `, ${b.failed} failed` : ''}`);
  }
  if (progress.downloads && progress.downloads.total > 0) {
    const d = progress.downloads;
    parts.push(`fetched ${d.done}/${d.total} (${formatBytes(d.bytesDone)}/${formatBytes(d.bytesTotal)})`);
  }
  for (const target of progress.targets ?? []) {
    if (target.status === 'running') parts.push(`${target.target}: ${target.stage ?? 'running'}${target.message ? ` ${target.message}` : ''}`);
  }
  if (progress.label) parts.unshift(progress.label);
  const line = parts.join(' | ');
  return line.length > width - 1 ? line.slice(0, Math.max(0, width - 2)) + '…' : line;
}

