import type { Command } from 'commander';
import type { HardwareFacts } from '../../core/deploy/install/contract';
import { formatBytes } from '../../shared/units';
import { openSession, type GlobalOptions } from '../core-session';
import { printJson } from '../output';

/** A machine's hardware as a person reads it. */
export function formatHardware(facts: HardwareFacts): string {
  const lines = [
    `${facts.hostname}: ${facts.nixSystem}, ${facts.bootMode === 'uefi' ? 'UEFI' : 'BIOS'} boot`,
    `CPU     ${facts.cpu.model || 'unknown'} (${facts.cpu.cores} cores)`,
    `memory  ${formatBytes(facts.memoryBytes)}`,
    'disks',
    ...facts.disks.flatMap((d) => [
      `  ${d.device.padEnd(14)} ${formatBytes(d.sizeBytes).padStart(9)}  ${[d.model, d.serial].filter(Boolean).join(' ') || d.kind}${d.readOnly ? '  read-only' : ''}${d.removable ? '  removable' : ''}`,
      ...d.ids.map((id) => `      /dev/disk/by-id/${id}`),
      ...d.partitions.map((p) => `    ${p.device.padEnd(12)} ${formatBytes(p.sizeBytes).padStart(9)}  ${p.fsType ?? '-'}${p.label ? `  ${p.label}` : ''}`),
    ]),
    ...(facts.disks.length === 0 ? ['  none'] : []),
    'network',
    ...facts.nics.map((n) => `  ${n.name.padEnd(10)} ${n.mac}  ${n.state}${n.driver ? `  ${n.driver}` : ''}  ${n.addresses.join(' ')}`),
    `initrd modules: ${facts.initrdModules.map((m) => m.module).join(' ') || 'none (drivers built into the kernel)'}`,
    ...(facts.nixosHardwareConfig ? ['nixos-generate-config --show-hardware-config: available'] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** `fleet hardware <target>`: CPU, memory, disks, NICs and boot mode of a machine over SSH. */
export function registerHardware(program: Command): void {
  program
    .command('hardware <target>')
    .description("read a machine's hardware over SSH ([user@]host[:port], e.g. an installer): CPU, memory, disks, network, UEFI/BIOS")
    .option('--write <system>', 'write systems/<system>/hardware-configuration.nix from it (git add)')
    .option('--facter', 'with --write: write facter.json instead')
    .option('--replace', 'with --write: replace an existing file')
    .option('--accept-new-host-keys', "trust the machine's host key if no known_hosts lists it (an installer's key is new on every boot)")
    .option('--json', 'print JSON')
    .action(async (target: string, opts: { write?: string; facter?: boolean; replace?: boolean; acceptNewHostKeys?: boolean; json?: boolean }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const accept = opts.acceptNewHostKeys ? { acceptNewHostKey: true } : {};
        if (opts.write) {
          const written = await session.call('install.writeHardware', {
            system: opts.write,
            to: target,
            format: opts.facter ? 'facter.json' : 'hardware-configuration.nix',
            ...(opts.replace ? { replace: true } : {}),
            ...accept,
          });
          if (opts.json) return printJson(written);
          process.stdout.write(`wrote ${written.file} (staged in git)\n${written.hint ? `note: ${written.hint}\n` : ''}`);
          return;
        }
        const facts = await session.call('install.hardware', { to: target, ...accept });
        if (opts.json) return printJson(facts);
        process.stdout.write(formatHardware(facts));
      } finally {
        await session.close();
      }
    });
}
