import type { Command } from 'commander';
import { openSession, type GlobalOptions } from '../core-session';
import { printJson, terminalText } from '../output';

/** `fleet status [targets...]`: each host online/offline, generation, revision, out of date. */
export function registerStatus(program: Command): void {
  program
    .command('status [targets...]')
    .description('show every host: online, current generation, deployed revision, out of date against the checkout, reboot needed, last deploy')
    .option('--no-eval', 'do not evaluate the checkout (no out-of-date column)')
    .option('--json', 'print JSON')
    .action(async (targets: string[], opts: { eval?: boolean; json?: boolean }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const hosts = await session.call('deploy.status', { ...(targets.length > 0 ? { targets } : {}), evaluate: opts.eval !== false });
        if (opts.json) return printJson(hosts);
        for (const h of hosts) {
          const state = h.online ? 'online ' : 'OFFLINE';
          const gen = h.generation !== undefined ? `gen ${h.generation}` : 'gen -';
          const rev = h.configurationRevision ? h.configurationRevision.slice(0, 12) : '-';
          const date = h.outOfDate === undefined ? '' : h.outOfDate ? 'OUT OF DATE' : 'up to date';
          const last = h.lastDeploy ? `last deploy ${h.lastDeploy.status} ${new Date(h.lastDeploy.at).toISOString().slice(0, 16)}` : '';
          const reboot = h.needsReboot ? 'REBOOT NEEDED ' : '';
          process.stdout.write(`${terminalText(h.target).padEnd(20)} ${state} ${gen.padEnd(7)} ${rev.padEnd(12)} ${date.padEnd(11)} ${reboot}${last}${h.online ? '' : `  (${h.error ?? ''})`}\n`);
        }
        if (hosts.some((h) => !h.online)) process.exitCode = 1;
      } finally {
        await session.close();
      }
    });
}
