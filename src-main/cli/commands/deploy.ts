import type { Command } from 'commander';
import { assertNever, FleetError } from '../../core/contract';
import type { DeployRecord, RebootReport } from '../../core/deploy/types';
import type { JobInfo } from '../../core/jobs/types';
import { openSession, type GlobalOptions, type CliSession } from '../core-session';
import { runJob } from '../follow-job';
import { printDeployPlan } from './deploy-plan';
import { printError, printJson, terminalBlock, terminalText } from '../output';
import { formatClock } from '../../shared/units';

interface DeployCliOptions {
  readonly mode?: 'switch' | 'boot' | 'test' | 'dry-activate';
  readonly on?: string[];
  readonly parallel?: number;
  readonly canary?: boolean;
  readonly rollback?: boolean;
  readonly confirmTimeout?: number;
  readonly json?: boolean;
  readonly acceptNewHostKeys?: boolean;
  readonly stopOnFailure?: boolean;
  readonly substituteOnTarget?: boolean;
  readonly relay?: boolean;
  readonly force?: boolean;
  readonly as?: string;
  readonly skipChecks?: boolean;
  readonly serial?: string;
  readonly identity?: string;
  readonly worktree?: boolean;
  readonly buildHere?: boolean;
  readonly plan?: boolean;
  readonly reboot?: boolean;
  readonly rebootParallel?: number;
  readonly rebootTimeout?: number;
  readonly allAtOnce?: boolean;
}

/** `fleet deploy <targets...>`: deploy systems (and homes) to their hosts. */
export function registerDeploy(program: Command): void {
  program
    .command('deploy [targets...]')
    .description('deploy systems to their hosts over SSH, homes and droids (names, @tag, all, home:<user>@<host>, droid:<name>); exit code 1 if any target failed or rolled back')
    .option('--mode <mode>', 'switch, boot, test or dry-activate (default switch)', parseMode)
    .option('--on <@tag>', 'deploy every system with this tag (repeatable)', (v: string, prev: string[] = []) => [...prev, v.startsWith('@') ? v : `@${v}`])
    .option('--parallel <n>', 'hosts copied/activated at once (default 4)', (v) => parseNumber(v, '--parallel', 1, 64))
    .option('--canary', 'deploy one host first and the rest only if it succeeds')
    .option('--stop-on-failure', 'stop starting hosts after the first failure (default: keep going)')
    .option('--no-rollback', 'no magic rollback: keep a new generation even when the host cannot be reached again')
    .option('--confirm-timeout <s>', 'seconds the host waits for the confirmation before rolling back (default 30)', (v) => parseNumber(v, '--confirm-timeout', 2, 600))
    .option('--substitute-on-target', 'let hosts fetch paths from their binary caches first')
    .option('--no-relay', 'when a build host cannot reach its target, fail that target at pre-flight instead of relaying the closure through this computer')
    .option('--skip-checks', "do not run the systems' health checks (meta.json deploy.checks) after the switch")
    .option('--force', 'activate even hosts that already run exactly this generation (default: report "already up to date")')
    .option('--as <user>', 'for home targets: log in as this user')
    .option('--serial <serial>', 'for droid targets: the phone (adb serial) when not the one linked')
    .option('--identity <file>', "for droid targets: the private key for the phone's sshd")
    .option('--worktree', 'for droid targets: send the working tree (uncommitted changes) instead of HEAD')
    .option('--build-here', 'for droid targets: build on this computer, copy the closure, activate on the phone')
    .option('--reboot', 'make the new generation the boot default (mode boot), reboot the systems one at a time, wait for each, check it booted that generation, run the checks')
    .option('--reboot-parallel <n>', 'with --reboot: hosts down at once (default 1); one host of the selection and of each tag stays up unless --all-at-once', (v) =>
      parseNumber(v, '--reboot-parallel', 1, 64),
    )
    .option('--reboot-timeout <s>', 'with --reboot: seconds each host has to go down and come back (default 300)', (v) => parseNumber(v, '--reboot-timeout', 5, 3600))
    .option('--all-at-once', 'with --reboot: allow every selected host (every host of a tag) to be down at the same time')
    .option('--accept-new-host-keys', 'accept host keys not yet in known_hosts (a CHANGED key is always refused)')
    .option('--plan', 'change nothing: print where each target is built, whether its host trusts the binary cache, and what would come from here, the cache or the build host')
    .option('--json', 'print the deploy record (with --plan: the plan) as JSON on stdout')
    .action(async (targets: string[], opts: DeployCliOptions, command: Command) => {
      const all = [...targets, ...(opts.on ?? [])];
      if (all.length === 0) throw new FleetError('invalid-input', 'Name what to deploy: a system, @tag (or --on @tag), all, home:<user>@<host> or droid:<name>.');
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        if (opts.plan) {
          process.exitCode = await printDeployPlan(session, all, opts.as, Boolean(opts.json));
          return;
        }
        const info = await runJob(
          session.core,
          'deploy.start',
          {
            targets: all,
            ...(opts.mode ? { mode: opts.mode } : {}),
            ...(opts.parallel ? { parallel: opts.parallel } : {}),
            ...(opts.canary ? { canary: true } : {}),
            ...(opts.stopOnFailure ? { keepGoing: false } : {}),
            ...(opts.rollback === false ? { magicRollback: false } : {}),
            ...(opts.confirmTimeout ? { confirmTimeoutSeconds: opts.confirmTimeout } : {}),
            ...(opts.substituteOnTarget ? { substituteOnTarget: true } : {}),
            ...(opts.relay === false ? { relay: false } : {}),
            ...(opts.force ? { force: true } : {}),
            ...(opts.as ? { asUser: opts.as } : {}),
            ...(opts.skipChecks ? { skipChecks: true } : {}),
            ...(phoneOptions(opts) ? { phone: phoneOptions(opts) } : {}),
            ...(rebootOptions(opts) ? { reboot: rebootOptions(opts) } : {}),
          },
          { acceptNewHostKeys: Boolean(opts.acceptNewHostKeys) },
        );
        process.exitCode = await reportDeploy(session, info, Boolean(opts.json));
      } finally {
        await session.close();
      }
    });
}

/** Print how a deploy or rollback job ended (one JSON document with --json); returns the exit code. */
export async function reportDeploy(session: CliSession, info: JobInfo, json: boolean): Promise<number> {
  const record = await session.call('deploy.get', { id: info.id }).catch(() => undefined);
  if (json) printJson(record ?? { jobId: info.id, status: info.status, error: info.error, logFile: info.logFile });
  const out = json ? process.stderr : process.stdout;
  for (const o of (record as DeployRecord | undefined)?.outcomes ?? []) {
    const copied = o.copiedPaths !== undefined ? `, copied ${o.copiedPaths} paths` : '';
    out.write(`${o.target.padEnd(20)} ${o.status.padEnd(11)} ${terminalText(o.message ?? '')}${copied}${o.needsReboot ? ' (reboot needed)' : ''}\n`);
    if (o.reboot) out.write(`  ${rebootLine(o.reboot)}\n`);
    for (const c of o.checks ?? []) {
      if (c.status === 'pending') continue;
      out.write(`  ${c.status === 'passed' ? 'ok  ' : c.status === 'failed' ? 'FAIL' : 'skip'} ${terminalText(c.label)}\n`);
      // The output is the host's: shown without its control sequences.
      if (c.status === 'failed' && c.output) out.write(`${terminalBlock(c.output).split('\n').map((l) => `       ${l}`).join('\n')}\n`);
    }
  }
  if (info.status === 'succeeded') return 0;
  if (info.error) printError(FleetError.fromWire(info.error));
  process.stderr.write(`Job log: ${info.logFile}\n`);
  return info.status === 'cancelled' ? 130 : 1;
}

/** --reboot and its options; the options alone are refused (they would do nothing). */
function rebootOptions(opts: DeployCliOptions) {
  const given = opts.rebootParallel !== undefined || opts.rebootTimeout !== undefined || opts.allAtOnce;
  if (given && !opts.reboot) throw new FleetError('invalid-input', '--reboot-parallel, --reboot-timeout and --all-at-once go with --reboot.');
  if (!opts.reboot) return undefined;
  return {
    ...(opts.rebootParallel ? { parallel: opts.rebootParallel } : {}),
    ...(opts.rebootTimeout ? { timeoutSeconds: opts.rebootTimeout } : {}),
    ...(opts.allAtOnce ? { allAtOnce: true } : {}),
  };
}

/** What the reboot saw, in one line: "booted generation 5 (expected 5), back after 12 s". */
function rebootLine(r: RebootReport): string {
  const booted = r.bootedGeneration !== undefined ? `generation ${r.bootedGeneration}` : (r.bootedSystem ?? 'unknown');
  const expected = `expected ${r.expectedGeneration ?? r.expectedSystem ?? '?'}`;
  switch (r.result) {
    case 'came-back':
    case 'other-generation':
      return `reboot: booted ${booted} (${expected}), back after ${Math.round(((r.backAt ?? r.requestedAt) - r.requestedAt) / 1000)} s`;
    case 'not-down':
      return `reboot: did not go down; last answered ${formatClock(r.lastSeenAt)}`;
    case 'not-back':
      return `reboot: not back; last seen ${formatClock(r.lastSeenAt)}${r.answeredLaterAt ? `; answered later at ${formatClock(r.answeredLaterAt)}, booted ${booted} (${expected})` : ''}`;
    default:
      return assertNever(r.result);
  }
}

/** The droid options given, if any. */
function phoneOptions(opts: DeployCliOptions) {
  const phone = {
    ...(opts.serial ? { serial: opts.serial } : {}),
    ...(opts.identity ? { identityFile: opts.identity } : {}),
    ...(opts.worktree ? { source: 'worktree' as const } : {}),
    ...(opts.buildHere ? { buildOn: 'laptop' as const } : {}),
  };
  return Object.keys(phone).length > 0 ? phone : undefined;
}

function parseMode(value: string): DeployCliOptions['mode'] {
  if (value === 'switch' || value === 'boot' || value === 'test' || value === 'dry-activate') return value;
  throw new FleetError('invalid-input', `--mode must be switch, boot, test or dry-activate, not "${value}".`);
}

/** A whole number option in [min, max], or an error naming the flag. */
export function parseNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new FleetError('invalid-input', `${flag} must be a whole number from ${min} to ${max}, not "${value}".`);
  return n;
}
