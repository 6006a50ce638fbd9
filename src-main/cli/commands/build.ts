import type { Command } from 'commander';
import { FleetError } from '../../core/contract';
import type { BuildResult } from '../../core/nix/build';
import type { JobInfo } from '../../core/jobs/types';
import { openSession, type GlobalOptions } from '../core-session';
import { runJob } from '../follow-job';
import { pushPaths } from './cache';
import { printError, printJson } from '../output';
import { pushGroups } from '../../shared/push-groups';
import { formatBytes } from '../../shared/units';

interface BuildOptions {
  readonly json?: boolean;
  readonly concurrency?: number;
  readonly keepGoing?: boolean;
  readonly quiet?: boolean;
  readonly push?: boolean;
}

/** `fleet build <target...>`: build systems, homes and droids with live progress. */
export function registerBuild(program: Command): void {
  program
    .command('build <targets...>')
    .description('build systems, homes or droids (names like moonlight, home:alice, droid:phone, or .#attr.path)')
    .option('--json', 'print the result as JSON on stdout')
    .option('-j, --concurrency <n>', 'how many targets build at once (default: the buildConcurrency setting)', parseCount)
    .option('-k, --keep-going', 'keep building other derivations when one fails')
    .option('-q, --quiet', 'do not print build logs, only progress and the result')
    .option('--push', "then sign the built closures and copy them to the checkout's binary cache (fleet cache set)")
    .action(async (targets: string[], opts: BuildOptions, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const info = await runJob(
          session.core,
          'build.start',
          { targets, ...(opts.concurrency ? { concurrency: opts.concurrency } : {}), ...(opts.keepGoing ? { keepGoing: true } : {}) },
          { showLog: !opts.quiet },
        );
        process.exitCode = reportJob(info, Boolean(opts.json));
        const results = (info.result as Partial<BuildResult> | undefined)?.targets ?? [];
        if (opts.push && process.exitCode === 0) {
          // What a build host built is in its store: it is pushed from there (one push per store).
          for (const group of pushGroups({ targets: results }).groups) {
            const code = await pushPaths(session.core, group.paths, group.buildHost);
            if (code !== 0) process.exitCode = code;
          }
        }
      } finally {
        await session.close();
      }
    });
}

/** Print a finished build or check job; returns the exit code. */
export function reportJob(info: JobInfo, json: boolean): number {
  const ok = info.status === 'succeeded';
  if (json) {
    printJson({
      jobId: info.id,
      status: info.status,
      ...(info.result !== undefined ? { result: info.result } : {}),
      ...(info.error ? { error: info.error } : {}),
      ...(!ok && info.progress?.targets ? { targets: info.progress.targets } : {}),
      logFile: info.logFile,
    });
  }
  if (ok) {
    const result = info.result as Partial<BuildResult> | undefined;
    for (const t of result?.targets ?? []) {
      const size = t.closureSize !== undefined ? `closure ${formatBytes(t.closureSize)}, ${t.closurePaths ?? '?'} paths, ` : '';
      const line = `${t.target}  ${t.outPath ?? '(no output)'}  (${size}built ${t.built}${t.builtOn ? ` on ${t.builtOn}` : ''} in ${(t.durationMs / 1000).toFixed(1)} s)\n`;
      // With --json stdout is the document; the summary goes to stderr.
      (json ? process.stderr : process.stdout).write(line);
    }
    return 0;
  }
  for (const t of info.progress?.targets ?? []) {
    for (const f of t.failedDerivations ?? []) {
      process.stderr.write(`\n${t.target}: ${f.name} failed${t.builtOn && t.builtOn !== 'here' ? ` on ${t.builtOn}` : ''}. Last lines of its log:\n`);
      for (const line of f.logTail) process.stderr.write(`  ${line}\n`);
      process.stderr.write(`Whole log: ${t.builtOn && t.builtOn !== 'here' ? `ssh ${t.builtOn} ` : ''}nix log ${f.drv}\n`);
    }
  }
  if (info.error) printError(FleetError.fromWire(info.error));
  else process.stderr.write(`error: the job ended as ${info.status}.\n`);
  process.stderr.write(`Job log: ${info.logFile}\n`);
  return info.status === 'cancelled' ? 130 : 1;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new FleetError('invalid-input', `--concurrency must be a whole number from 1 to 64, not "${value}".`);
  return n;
}
