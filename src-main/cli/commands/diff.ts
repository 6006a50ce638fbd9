import type { Command } from 'commander';
import { openSession, type GlobalOptions } from '../core-session';
import { runJob } from '../follow-job';
import { printJson, terminalText } from '../output';
import { FleetError } from '../../core/contract';
import { formatBytes, formatBytesChange } from '../../shared/units';
import type { ClosureDiffReport } from '../../core/closure/report';
import type { SinceDeployedReport } from '../../core/deploy/since-deployed';


/** A closure diff as nvd prints it: one line per package, then the totals. */
export function formatClosureDiff(report: ClosureDiffReport): string {
  const lines: string[] = [`<<< ${report.old.label}${report.old.storePath ? `  ${report.old.storePath}` : ''}`, `>>> ${report.new.label}${report.new.storePath ? `  ${report.new.storePath}` : ''}`];
  if (!report.diff) {
    lines.push(`closure diff unknown: ${report.old.error ?? 'the old side could not be read'}`);
    lines.push(`new closure: ${report.new.paths ?? '?'} paths, ${formatBytes(report.new.bytes ?? 0)} (a deploy may copy all of it)`);
    return lines.join('\n') + '\n';
  }
  const marks = { upgraded: '[U.]', downgraded: '[D.]', changed: '[C.]', added: '[A+]', removed: '[R-]', rebuilt: '[.*]' } as const;
  for (const p of report.diff.packages) {
    if (p.change === 'rebuilt') continue;
    const versions = p.change === 'added' ? p.newVersions.join(', ') : p.change === 'removed' ? p.oldVersions.join(', ') : `${p.oldVersions.join(', ')} -> ${p.newVersions.join(', ')}`;
    lines.push(`${marks[p.change]} ${p.name.padEnd(32)} ${versions.padEnd(30)} ${formatBytesChange(p.sizeDelta)}`);
  }
  const d = report.diff;
  lines.push(
    `${d.counts.upgraded} upgraded, ${d.counts.downgraded} downgraded, ${d.counts.added} added, ${d.counts.removed} removed, ${d.counts.rebuilt} rebuilt`,
    `closure size: ${d.oldPaths} -> ${d.newPaths} paths, ${formatBytes(d.oldSize)} -> ${formatBytes(d.newSize)} (${formatBytesChange(d.sizeDelta)})`,
    `to copy: ${d.download.paths} paths, ${formatBytes(d.download.bytes)}${report.old.source === 'host' ? (d.download.exact ? ' (checked against the host store)' : ' (at most)') : ''}`,
  );
  if (d.rebootNeeded) lines.push('kernel or initrd changes: a reboot is needed to run the new one');
  return lines.join('\n') + '\n';
}

function formatSinceDeployed(report: SinceDeployedReport): string {
  const lines = [`${report.host}: deployed ${report.deployedRevision ?? 'unknown'} (${report.state})${report.message ? ` - ${report.message}` : ''}`];
  for (const c of report.commits) lines.push(`  ${c.hash.slice(0, 10)} ${c.date.slice(0, 10)} ${c.subject}`);
  for (const f of report.files) lines.push(`  ${f.kind.padEnd(10)} ${f.path}`);
  if (report.outOfDate !== undefined) lines.push(report.outOfDate ? '  out of date' : '  up to date');
  return lines.join('\n') + '\n';
}

/** `fleet diff`: working-tree changes, or what a deploy to a host would change. */
export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('show the working-tree changes; with --host, the closure diff against the running host (or --base REV)')
    .option('--host <name>', 'a machine: moonlight, home:<user> or droid:<name>')
    .option('--base <rev>', 'compare with this revision instead of HEAD / the running host')
    .option('--since-deployed', 'per host (--host, or every system): commits and changed files since the revision it runs')
    .option('--stat', 'only the list of changed files')
    .option('--json', 'print JSON')
    .option('--accept-new-host-keys', 'accept host keys never seen before')
    .option('--as <user>', 'for home:<config>@<host>: log in as this user instead of the home\'s own name')
    .option('--serial <serial>', 'for droid:<name>: the phone to list (default: the linked phone)')
    .action(async (opts: { host?: string; base?: string; sinceDeployed?: boolean; stat?: boolean; json?: boolean; acceptNewHostKeys?: boolean; as?: string; serial?: string }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        if (opts.sinceDeployed) {
          // One host, or every system of the checkout (an unreachable one says so and the rest go on).
          const hosts = opts.host ? [opts.host] : (await session.call('inventory.get', {})).systems.map((s) => s.name);
          const reports: SinceDeployedReport[] = [];
          for (const host of hosts) {
            const info = await runJob(session.core, 'changes.sinceDeployed', { host }, { showLog: !opts.json, ...(opts.acceptNewHostKeys ? { acceptNewHostKeys: true } : {}) });
            if (info.status !== 'succeeded') throw new FleetError('failed', info.error?.message ?? `job ${info.status}`);
            reports.push(info.result as SinceDeployedReport);
            if (!opts.json) process.stdout.write(formatSinceDeployed(info.result as SinceDeployedReport));
          }
          if (opts.json) printJson(opts.host ? reports[0] : { hosts: reports });
          return;
        }
        if (opts.host) {
          const info = await runJob(session.core, 'closure.diff', { machine: opts.host, ...(opts.base ? { base: opts.base } : {}), ...(opts.as ? { asUser: opts.as } : {}), ...(opts.serial ? { serial: opts.serial } : {}) }, { showLog: !opts.json, ...(opts.acceptNewHostKeys ? { acceptNewHostKeys: true } : {}) });
          if (info.status !== 'succeeded') throw new FleetError('failed', info.error?.message ?? `job ${info.status}`);
          const report = info.result as ClosureDiffReport;
          return opts.json ? printJson(report) : void process.stdout.write(formatClosureDiff(report));
        }
        const changes = await session.call('git.changes', {});
        const lock = changes.repo.head ? await session.call('flake.lockDiff', opts.base ? { base: opts.base } : {}) : { changes: [] };
        if (opts.json) {
          const patches = opts.stat ? [] : await Promise.all(changes.files.map((f) => session.call('git.diff', { path: f.path, ...(opts.base ? { base: opts.base } : {}) })));
          return printJson({ ...changes, lock, patches });
        }
        for (const problem of changes.repo.problems) process.stderr.write(`! ${terminalText(problem)}\n`);
        for (const f of changes.files) {
          const counts = f.binary ? 'binary' : `+${f.added ?? 0} -${f.removed ?? 0}`;
          process.stdout.write(`${f.kind.padEnd(10)} ${counts.padEnd(12)} ${terminalText(f.path)}\n`);
        }
        for (const c of lock.changes) process.stdout.write(`input ${c.input}: ${c.change} ${c.oldRev?.slice(0, 10) ?? ''} -> ${c.newRev?.slice(0, 10) ?? ''} ${c.compareUrl ?? ''}\n`);
        if (!opts.stat) {
          for (const f of changes.files) {
            const d = await session.call('git.diff', { path: f.path, ...(opts.base ? { base: opts.base } : {}) });
            process.stdout.write(d.binary ? `binary file ${d.path} changed\n` : d.patch);
            if (d.truncated) process.stdout.write(`... patch cut at ${formatBytes(d.patch.length)} of ${formatBytes(d.bytes)}\n`);
          }
        }
      } finally {
        await session.close();
      }
    });
}
