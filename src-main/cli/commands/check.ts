import type { Command } from 'commander';
import { openSession, type GlobalOptions } from '../core-session';
import { runJob } from '../follow-job';
import { reportJob } from './build';

/** `fleet check`: `nix flake check` on the homelab, with live progress. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('run nix flake check on the homelab')
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'do not print build logs')
    .action(async (opts: { json?: boolean; quiet?: boolean }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const info = await runJob(session.core, 'flake.check', {}, { showLog: !opts.quiet });
        if (!opts.json && info.status === 'succeeded') process.stdout.write('flake check passed\n');
        process.exitCode = reportJob(info, Boolean(opts.json));
      } finally {
        await session.close();
      }
    });
}
