import type { Command } from 'commander';
import { FleetError } from '../../core/contract';
import { openSession, type GlobalOptions } from '../core-session';
import { runJob } from '../follow-job';
import { reportDeploy } from './deploy';

/** `--to <generation>` of the rollback commands: a generation number, checked at the edge. */
export function parseGeneration(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new FleetError('invalid-input', `--to must be a generation number, not "${value}".`);
  return n;
}

/** `fleet rollback <target> [--to N]`: switch a host, home or droid back to an earlier generation. */
export function registerRollback(program: Command): void {
  program
    .command('rollback <target>')
    .description('switch a host (or home:<config>@<host>, droid:<name>) back to an earlier generation of its profile (default: the previous one)')
    .option('--to <generation>', 'the generation number to switch to', parseGeneration)
    .option('--confirm-timeout <s>', 'seconds the host waits for the confirmation before going back again (default 30)', Number)
    .option('--accept-new-host-keys', 'accept host keys not yet in known_hosts')
    .option('--serial <serial>', 'droid: the phone (adb serial) when more than one is linked')
    .option('--identity <file>', "droid: private key for the phone's sshd")
    .option('--json', 'print the deploy record as JSON on stdout')
    .action(async (target: string, opts: { to?: number; confirmTimeout?: number; acceptNewHostKeys?: boolean; json?: boolean; serial?: string; identity?: string }, command: Command) => {
      const phone = { ...(opts.serial ? { serial: opts.serial } : {}), ...(opts.identity ? { identityFile: opts.identity } : {}) };
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const info = await runJob(
          session.core,
          'deploy.rollback',
          {
            target,
            ...(opts.to ? { generation: opts.to } : {}),
            ...(opts.confirmTimeout ? { confirmTimeoutSeconds: opts.confirmTimeout } : {}),
            ...(Object.keys(phone).length > 0 ? { phone } : {}),
          },
          { acceptNewHostKeys: Boolean(opts.acceptNewHostKeys) },
        );
        process.exitCode = await reportDeploy(session, info, Boolean(opts.json));
      } finally {
        await session.close();
      }
    });
}
