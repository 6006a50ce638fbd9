import { z } from 'zod';
import { job, query, type CommandSpec } from '../../contract';
import type { InstallResult } from './install-run';
import type { HardwareFacts } from './hardware-facts';
import type { HardwareFileResult } from './hardware-files';
import type { DiskChoice } from './choose-disk';

export type { HardwareFacts, Disk, DiskPartition, NetworkInterface, InitrdModule, SysDevice } from './hardware-facts';
export type { HardwareFileResult } from './hardware-files';
export type { DiskChoice } from './choose-disk';
export type { InstallResult, InstallStage } from './install-run';

/** An ssh target as typed: [user@]host[:port]; parsed and checked again by the handler. */
const sshTarget = z
  .string()
  .min(1, 'give the machine as [user@]host[:port]')
  .max(300)
  .refine((s) => !s.startsWith('-'), 'a target cannot start with "-"')
  .refine((s) => !/[\s\0]/.test(s), 'a target cannot contain whitespace');
const systemName = z.string().min(1, 'a system name is required').max(255);

export const installCommands = {
  'install.hardware': query<HardwareFacts>()(
    "Read a machine's hardware over SSH (an installer or any Linux): CPU, memory, disks with sizes and ids, network interfaces, UEFI or BIOS.",
    z.object({ to: sshTarget, acceptNewHostKey: z.boolean().optional() }).strict(),
  ),
  'install.writeHardware': query<HardwareFileResult>()(
    "Read a machine's hardware and write systems/<name>/hardware-configuration.nix (or facter.json), staged in git; `preview` answers the diff only, `expectSha256` refuses content other than the previewed.",
    z
      .object({
        system: systemName,
        to: sshTarget,
        format: z.enum(['hardware-configuration.nix', 'facter.json']).optional(),
        replace: z.boolean().optional(),
        preview: z.boolean().optional(),
        expectSha256: z.string().regex(/^[0-9a-f]{64}$/, 'expectSha256 is the hex SHA-256 a preview answered').optional(),
        acceptNewHostKey: z.boolean().optional(),
      })
      .strict(),
  ),
  'install.chooseDisk': query<DiskChoice>()(
    "Point a system's disko.nix (one disk) at the disk to install to, keeping the rest of the file; `preview` answers the diff only.",
    z.object({ system: systemName, device: z.string().min(1).max(300), preview: z.boolean().optional() }).strict(),
  ),
  'install.start': job<InstallResult>()(
    "Install a system onto a machine booted from an installer (nixos-anywhere's steps): hardware, erase confirmation naming the disk, build, copy, disko, install into /mnt, new host key recorded, reboot, wait for it.",
    z
      .object({
        system: systemName,
        to: sshTarget,
        disk: z.string().regex(/^\/dev\/[A-Za-z0-9._:/+-]+$/, 'a disk is a path under /dev, e.g. /dev/sda or /dev/disk/by-id/...').optional(),
        yes: z.boolean().optional(),
        acceptNewHostKey: z.boolean().optional(),
      })
      .strict(),
  ),
} satisfies Record<string, CommandSpec>;
