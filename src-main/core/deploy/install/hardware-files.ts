import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../../contract';
import type { FileDiff } from '../../git/file-diff';
import { proposedFileDiff } from '../../git/proposed-diff';
import { gitAt } from '../../git/repo';
import { insideGit } from '../../homelab/scan';
import { writeFileAtomic } from '../../settings/atomic-file';
import type { HardwareFacts, InitrdModule } from './hardware-facts';
import { formatBytes } from '../../../shared/units';

/** A Nix string literal of `value` (no interpolation). */
function nixString(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/**
 * systems/<name>/hardware-configuration.nix from a machine's facts: nixos-generate-config's
 * own output when the machine had it, otherwise the same idea from what /sys reported (the
 * kernel modules of its disk and USB controllers for the initrd, the boot loader its firmware needs).
 */
export function hardwareConfigurationNix(facts: HardwareFacts, machine: string): string {
  if (facts.nixosHardwareConfig) return `${facts.nixosHardwareConfig.trim()}\n`;
  // As nixos-generate-config writes the list: [ "a" "b" ], or [ ] when none.
  const modules = facts.initrdModules.map((m) => ` ${nixString(m.module)}`).join('');
  const lines = [
    `# ${machine}'s hardware, read by Homelab Fleet over SSH (/proc, /sys, lspci), as`,
    '# nixos-generate-config --show-hardware-config would write it. Filesystems come from disko.nix.',
    `# CPU: ${facts.cpu.model || 'unknown'} (${facts.cpu.cores} cores), memory ${formatBytes(facts.memoryBytes)}, ${facts.bootMode === 'uefi' ? 'UEFI' : 'BIOS'} boot.`,
    '{ ... }:',
    '{',
    `  boot.initrd.availableKernelModules = [${modules} ];`,
    facts.bootMode === 'uefi' ? '  boot.loader.systemd-boot.enable = true;' : '  # BIOS boot: the boot loader (GRUB) needs the disk it boots from.',
    '}',
    '',
  ];
  return lines.join('\n');
}

const busOrder: readonly InitrdModule['bus'][] = ['pci', 'usb', 'block', 'mmc'];

/**
 * systems/<name>/facter.json from a machine's facts, in nixos-facter's report shape
 * (`hardware.<class>` lists of devices; `driver_module` is what NixOS's facter module and
 * the homelab's hardware.nix load in the initrd), with the facts as read kept beside it.
 */
export function facterJson(facts: HardwareFacts): string {
  const report = {
    version: 1,
    source: 'homelab-fleet',
    system: facts.nixSystem,
    hardware: {
      cpu: [{ model_name: facts.cpu.model, cores: facts.cpu.cores }],
      memory: [{ bytes: facts.memoryBytes }],
      disk: facts.disks.map((d) => ({ unix_device_names: [d.device, ...d.ids.map((id) => `/dev/disk/by-id/${id}`)], size_bytes: d.sizeBytes, ...(d.model ? { model: d.model } : {}) })),
      network_interface: facts.nics.map((n) => ({ unix_device_names: [n.name], mac: n.mac })),
      // Each initrd module under the kind of device it was found for (hardware.pci, .usb,
      // .block, .mmc); hardware.nix loads the driver_module of every class.
      ...Object.fromEntries(
        busOrder.flatMap((bus) => {
          const found = facts.initrdModules.filter((m) => m.bus === bus).map((m) => ({ driver_module: m.module }));
          return found.length > 0 ? [[bus, found]] : [];
        }),
      ),
    },
    boot: { mode: facts.bootMode },
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

export type HardwareFileKind = 'hardware-configuration.nix' | 'facter.json';

/** What writing (or previewing) a hardware file did. */
export interface HardwareFileResult {
  /** Relative to the checkout. */
  readonly file: string;
  /** False for a preview: nothing was written. */
  readonly written: boolean;
  /** Whether the file was there before (writing it then needs `replace`). */
  readonly existed: boolean;
  /** What is (or would be) written, against the file as it was. */
  readonly diff: FileDiff;
  /** SHA-256 of the content: a write given it refuses content other than the previewed. */
  readonly sha256: string;
  /** Whether the system's default.nix imports it; if not, the hint says what to add. */
  readonly imported: boolean;
  readonly hint?: string;
}

export interface WriteFileOptions {
  readonly replace: boolean;
  /** Only show what would be written. */
  readonly preview: boolean;
  /** The sha256 of the previewed content: anything else is refused, not written. */
  readonly expectSha256?: string;
}

/** SHA-256 of a text, hex. */
export function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Write systems/<name>/hardware-configuration.nix (or facter.json) and `git add` it, or
 * with `preview` only answer its diff. An existing file is only replaced when `replace` is set.
 */
export async function writeHardwareFile(root: string, systemDir: string, kind: HardwareFileKind, content: string, options: WriteFileOptions): Promise<HardwareFileResult> {
  const file = path.join(root, systemDir, kind);
  if (!fs.existsSync(path.join(root, systemDir, 'default.nix'))) {
    throw new FleetError('invalid-input', `${systemDir} is not a system folder with default.nix; hardware files go beside it.`);
  }
  const rel = `${systemDir}/${kind}`;
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const sha256 = sha256Of(content);
  if (!options.preview) {
    if (before !== undefined && !options.replace) throw new FleetError('exists', `${rel} already exists; replace it explicitly.`);
    if (options.expectSha256 && options.expectSha256 !== sha256) {
      throw new FleetError('conflict', `What ${rel} would get now differs from the preview (the machine's hardware changed?); nothing was written.`, { hint: 'Look at the new diff and write it again.' });
    }
    writeFileAtomic(file, content, 0o644);
    if (insideGit(root)) await gitAt(root).raw(['add', '--', path.relative(root, file)]);
  }
  const defaultNix = fs.readFileSync(path.join(root, systemDir, 'default.nix'), 'utf8');
  const imported = kind === 'facter.json' ? /facter\.reportPath|facter\.json/.test(defaultNix) : defaultNix.includes('hardware-configuration.nix');
  const hint = imported
    ? undefined
    : kind === 'facter.json'
      ? `Set hardware.facter.reportPath = ./facter.json; in ${systemDir}/default.nix.`
      : `Add ./hardware-configuration.nix to the imports of ${systemDir}/default.nix.`;
  return { file: rel, written: !options.preview, existed: before !== undefined, diff: proposedFileDiff(rel, before, content), sha256, imported, ...(hint ? { hint } : {}) };
}

/** The `device = "...";` lines of a disko.nix (one per disk). */
export function diskoDevices(text: string): readonly string[] {
  return [...text.matchAll(/\bdevice\s*=\s*"([^"]*)"\s*;/g)].map((m) => m[1] ?? '');
}

/**
 * Point a disko.nix with exactly one disk at `device` (best a /dev/disk/by-id name: it stays
 * the same disk across reboots), keeping the rest of the file as it was.
 */
export function setDiskoDevice(text: string, device: string): string {
  if (!/^\/dev\/[A-Za-z0-9._:/+-]+$/.test(device)) throw new FleetError('invalid-input', `"${device}" is not a device path under /dev.`);
  const found = diskoDevices(text);
  if (found.length !== 1) {
    throw new FleetError('invalid-input', `disko.nix names ${found.length} disks (${found.join(', ') || 'none'}); choose the disk in the file itself.`);
  }
  return text.replace(/\bdevice(\s*=\s*)"[^"]*"(\s*;)/, (_m, eq: string, semi: string) => `device${eq}"${device}"${semi}`);
}
