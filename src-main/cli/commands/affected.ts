import type { Command } from 'commander';
import { openSession, type GlobalOptions } from '../core-session';
import { printJson, terminalText } from '../output';
import type { AffectedMachine, AffectedReport } from '../../core/homelab/affected-types';

/** The word for a machine's state in the affected list. */
function stateOf(m: AffectedMachine): string {
  if (m.evalError) return 'eval failed';
  if (m.confirmed === true) return m.removed ? 'removed' : m.added ? 'added' : 'changed';
  if (m.confirmed === false) return 'unchanged';
  return 'likely';
}

/** The report as a person reads it: one line per machine, its reasons indented. */
export function formatAffected(report: AffectedReport): string {
  const lines: string[] = [];
  const base = report.base.rev ? `${report.base.ref} (${report.base.rev.slice(0, 12)})` : report.base.ref;
  lines.push(`${report.files.length} changed file(s) since ${base}; ${report.affected.length} of ${report.machines.length} machine(s) affected.`);
  for (const problem of report.repo.problems) lines.push(`! ${problem}`);
  for (const m of report.affected) {
    lines.push(`${m.kind.padEnd(6)} ${m.name.padEnd(24)} ${stateOf(m)}`);
    for (const r of m.reasons.slice(0, 3)) lines.push(`         ${r.path ? `${r.path}: ` : ''}${r.message}`);
    if (m.reasonCount > 3) lines.push(`         ... and ${m.reasonCount - 3} more`);
    if (m.evalError) lines.push(`         ${m.evalError}`);
  }
  for (const u of report.unmapped) lines.push(`(no machine) ${u.path}: ${u.message}`);
  lines.push(`confirmation: ${report.confirmation.state}${report.confirmation.message ? ` - ${report.confirmation.message}` : ''}`);
  // Each line holds paths and names from the checkout: escaped so none can hold a line break or ANSI sequence.
  return lines.map(terminalText).join('\n') + '\n';
}

/** `fleet affected`: which machines the checkout's changes touch. */
export function registerAffected(program: Command): void {
  program
    .command('affected')
    .description('list the systems, homes and droids the uncommitted changes (or those since --base) can affect, and confirm with nix')
    .option('--base <rev>', 'compare with this revision instead of HEAD')
    .option('--no-confirm', 'apply the layout rules only; skip evaluating old and new derivations')
    .option('--json', 'print JSON')
    .action(async (opts: { base?: string; confirm: boolean; json?: boolean }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const report = await session.call('changes.affected', { ...(opts.base ? { base: opts.base } : {}), confirm: opts.confirm });
        if (opts.json) return printJson(report);
        process.stdout.write(formatAffected(report));
      } finally {
        await session.close();
      }
    });
}
