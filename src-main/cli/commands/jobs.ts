import type { Command } from 'commander';
import { openSession, type GlobalOptions } from '../core-session';
import { printJson, terminalText } from '../output';

/** `fleet jobs` and `fleet log <job>`: past and running jobs, and their logs. */
export function registerJobs(program: Command): void {
  program
    .command('jobs')
    .description('list recent jobs (builds, deploys) with their status')
    .option('--json', 'print JSON')
    .option('-n, --limit <n>', 'how many', (v) => Number(v), 20)
    .action(async (opts: { json?: boolean; limit: number }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const jobs = await session.call('jobs.list', { limit: opts.limit });
        if (opts.json) return printJson(jobs);
        for (const job of jobs) {
          const when = new Date(job.startedAt).toISOString().replace('T', ' ').slice(0, 19);
          process.stdout.write(`${job.id}  ${job.status.padEnd(11)} ${when}  ${terminalText(job.title)}\n`);
        }
      } finally {
        await session.close();
      }
    });
  program
    .command('log <jobId>')
    .description("print a job's full log")
    .action(async (jobId: string, _opts: unknown, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const log = await session.call('jobs.log', { jobId, max: 200_000 });
        for (const line of log.lines) process.stdout.write(line + '\n');
      } finally {
        await session.close();
      }
    });
}
