import type { Command } from 'commander';
import { FleetError } from '../../core/contract';
import { openSession, type GlobalOptions } from '../core-session';
import { runJob } from '../follow-job';
import { parseNumber, reportDeploy } from './deploy';

interface RebootCliOptions {
  readonly parallel?: number;
  readonly canary?: boolean;
  readonly timeout?: number;
  readonly allAtOnce?: boolean;
  readonly skipChecks?: boolean;
  readonly stopOnFailure?: boolean;
  readonly acceptNewHostKeys?: boolean;
  readonly json?: boolean;
}

/** `fleet reboot <targets...>`: reboot systems, rolling, and check they came back on their boot default. */
export function registerReboot(program: Command): void {
  program
    .command('reboot [targets...]')
    .description(
      'reboot systems (names, @tag, all) one at a time: wait for each to come back, check it booted its boot default, run its health checks; exit code 1 if any host failed or did not come back',
    )
    .option('--parallel <n>', 'hosts down at once (default 1); one host of the selection and of each tag stays up unless --all-at-once', (v) => parseNumber(v, '--parallel', 1, 64))
    .option('--canary', 'reboot the first host alone first; the rest only if it came back healthy')
    .option(
      '--timeout <s>',
      'seconds each host has to go down and come back (default 300); one not back is never rebooted again, but watched as long again: if it answers, the report says what it booted',
      (v) => parseNumber(v, '--timeout', 5, 3600),
    )
    .option('--all-at-once', 'allow every selected host (every host of a tag) to be down at the same time')
    .option('--skip-checks', "do not run the systems' health checks after they came back")
    .option('--stop-on-failure', 'no further reboots after the first host that failed (default: the others go on)')
    .option('--accept-new-host-keys', 'accept host keys not yet in known_hosts (a CHANGED key is always refused)')
    .option('--json', 'print the reboot record as JSON on stdout')
    .action(async (targets: string[], opts: RebootCliOptions, command: Command) => {
      if (targets.length === 0) throw new FleetError('invalid-input', 'Name the systems to reboot: a name, @tag or all.');
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const info = await runJob(
          session.core,
          'deploy.reboot',
          {
            targets,
            ...(opts.parallel ? { parallel: opts.parallel } : {}),
            ...(opts.canary ? { canary: true } : {}),
            ...(opts.timeout ? { timeoutSeconds: opts.timeout } : {}),
            ...(opts.allAtOnce ? { allAtOnce: true } : {}),
            ...(opts.skipChecks ? { skipChecks: true } : {}),
            ...(opts.stopOnFailure ? { keepGoing: false } : {}),
          },
          { acceptNewHostKeys: Boolean(opts.acceptNewHostKeys) },
        );
        process.exitCode = await reportDeploy(session, info, Boolean(opts.json));
      } finally {
        await session.close();
      }
    });
}
