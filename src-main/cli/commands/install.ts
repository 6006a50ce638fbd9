import type { Command } from 'commander';
import type { InstallResult } from '../../core/deploy/install/contract';
import { FleetError } from '../../core/contract';
import { openSession, type GlobalOptions } from '../core-session';
import { runJob } from '../follow-job';
import { printJson } from '../output';

/** `fleet install <system> --to <target>`: nixos-anywhere's install, through the core's SSH and copy. */
export function registerInstall(program: Command): void {
  program
    .command('install <system>')
    .description('install a system onto a machine booted from an installer: erase its disk (disko), install, reboot into it')
    .requiredOption('--to <target>', 'the machine, [user@]host[:port] (root on the installer)')
    .option('--disk <device>', "the disk to erase and install to (default: the one the system's disko.nix names)")
    .option('--yes', 'confirm erasing the disk without typing its name (scripts); without it the disk is asked for by name')
    .option('--accept-new-host-keys', "trust the installer's host key if no known_hosts lists it")
    .option('--json', 'print the result as JSON on stdout')
    .action(async (system: string, opts: { to: string; disk?: string; yes?: boolean; acceptNewHostKeys?: boolean; json?: boolean }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const info = await runJob(
          session.core,
          'install.start',
          { system, to: opts.to, ...(opts.disk ? { disk: opts.disk } : {}), ...(opts.yes ? { yes: true } : {}), ...(opts.acceptNewHostKeys ? { acceptNewHostKey: true } : {}) },
          { acceptNewHostKeys: Boolean(opts.acceptNewHostKeys), yes: Boolean(opts.yes) },
        );
        if (info.status !== 'succeeded') throw new FleetError(info.error?.code ?? 'failed', info.error?.message ?? `The install ${info.status}.`);
        const result = info.result as InstallResult;
        if (opts.json) return printJson(result);
        process.stdout.write(
          [
            `installed ${result.system} on ${result.target} (${result.disk}); it runs ${result.toplevel}`,
            `host key ${result.hostKeyFingerprint}, recorded in known_hosts as ${result.knownHostsNames.join(', ')} and in ${result.hostKeyFile}`,
            `  (not in git yet: the system was built from the checkout as it was; commit it to keep it: git add ${result.hostKeyFile})`,
            `age recipient for .sops.yaml: ${result.ageRecipient}`,
            '',
          ].join('\n'),
        );
      } finally {
        await session.close();
      }
    });
}
