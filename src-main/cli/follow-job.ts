import type { FleetEvent } from '../core/events';
import type { JobInfo, JobProgress } from '../core/jobs/types';
import type { FleetCore } from '../core/core';
import { answerOnTerminal, type PromptPolicy } from './prompt-answers';
import { isInteractive, terminalText } from './output';
import { renderProgressLine } from './progress-line';

export interface FollowOptions extends PromptPolicy {
  /** Print the job's log lines on stderr as they come (default true). */
  readonly showLog?: boolean;
}

/**
 * Start a job command and follow it to the end: log lines on stderr (prefixed by target),
 * a live progress line on a terminal, questions answered on the terminal, Ctrl-C cancels
 * the job (its processes are killed) instead of orphaning them.
 */
export async function runJob(core: FleetCore, name: string, input: unknown, options: FollowOptions = {}): Promise<JobInfo> {
  const interactive = isInteractive();
  let jobId: string | undefined;
  const early: FleetEvent[] = [];
  let lastProgress: JobProgress | undefined;
  let statusShown = false;

  const clearStatus = () => {
    if (statusShown) process.stderr.write('\r\x1b[2K');
    statusShown = false;
  };
  const handle = (event: FleetEvent) => {
    switch (event.type) {
      case 'job.log':
        if (event.jobId !== jobId || options.showLog === false) return;
        clearStatus();
        for (const line of event.lines) process.stderr.write(`${line.target ? `[${terminalText(line.target)}] ` : ''}${line.text}\n`);
        drawStatus();
        return;
      case 'job.progress':
        if (event.jobId !== jobId) return;
        lastProgress = event.progress;
        drawStatus();
        return;
      case 'prompt.request':
        if (event.request.jobId !== undefined && event.request.jobId !== jobId) return;
        clearStatus();
        void answerOnTerminal(event.request, options).then(
          (answer) => core.invoke('prompts.answer', { id: event.request.id, ...answer }).catch(() => undefined),
        );
        return;
      default:
        return;
    }
  };
  const drawStatus = () => {
    if (!interactive || !lastProgress) return;
    const line = renderProgressLine(lastProgress, process.stderr.columns || 100);
    if (!line) return;
    process.stderr.write(`\r\x1b[2K${line}`);
    statusShown = true;
  };

  const unsubscribe = core.subscribe((event) => {
    if (jobId === undefined) early.push(event);
    else handle(event);
  });
  const onSigint = () => {
    if (jobId) {
      clearStatus();
      process.stderr.write('Cancelling...\n');
      void core.invoke('jobs.cancel', { jobId });
    }
  };
  process.on('SIGINT', onSigint);
  try {
    const started = (await core.invoke(name, input)) as { jobId: string };
    jobId = started.jobId;
    for (const event of early.splice(0)) handle(event);
    const info = await core.context.jobs.wait(jobId);
    clearStatus();
    return info;
  } finally {
    process.off('SIGINT', onSigint);
    unsubscribe();
  }
}
