import { describe, expect, it } from 'vitest';
import { parseHardwareReport } from '../../../src-main/core/deploy/install/hardware-facts';
import { facterJson, hardwareConfigurationNix } from '../../../src-main/core/deploy/install/hardware-files';
import { diskoSizeBytes, layoutNeedsBytes } from '../../../src-main/core/deploy/install/disk-fit';

const t = '\t';
/** A report as hardwareScript prints it, for a VM whose disk driver is a loadable module. */
const report = [
  `hostname${t}nixos`,
  `arch${t}x86_64`,
  `cpu${t}QEMU Virtual CPU`,
  `cores${t}2`,
  `memory${t}2048000`,
  `boot${t}uefi`,
  `disk${t}/dev/vda${t}2097152${t}0${t}0${t}${t}${t}disk`,
  `part${t}/dev/vda${t}/dev/vda1${t}1048576${t}vfat${t}disk-main-ESP`,
  `disk${t}/dev/vdb${t}196608${t}0${t}0${t}${t}${t}loop`,
  `module${t}pci${t}virtio_pci`,
  `module${t}pci${t}xhci_pci`,
  `module${t}usb${t}usb_storage`,
  `module${t}block${t}virtio_blk`,
  `module${t}pci${t}virtio_pci`,
  // What no kernel module is called (a sysfs driver name), and a bus the report does not have.
  `module${t}pci${t}virtio-pci`,
  `module${t}isa${t}floppy`,
  // The old report's driver lines are not modules.
  `driver${t}virtio-pci`,
].join('\n');

describe('hardware report: initrd modules are kernel module names', () => {
  const facts = parseHardwareReport(report);

  it('keeps each module once, with where it was found; driver names and unknown lines are not modules', () => {
    expect(facts.initrdModules).toEqual([
      { module: 'usb_storage', bus: 'usb' },
      { module: 'virtio_blk', bus: 'block' },
      { module: 'virtio_pci', bus: 'pci' },
      { module: 'xhci_pci', bus: 'pci' },
    ]);
  });

  it('reads the disk kind the kernel reported, whatever /dev calls the disk', () => {
    expect(facts.disks.map((d) => [d.device, d.kind, d.partitions.map((p) => p.device)])).toEqual([
      ['/dev/vda', 'disk', ['/dev/vda1']],
      ['/dev/vdb', 'loop', []],
    ]);
  });

  it('writes the modules into hardware-configuration.nix and facter.json', () => {
    expect(hardwareConfigurationNix(facts, 'box')).toContain('  boot.initrd.availableKernelModules = [ "usb_storage" "virtio_blk" "virtio_pci" "xhci_pci" ];\n');
    const facter = JSON.parse(facterJson(facts)) as { hardware: Record<string, { driver_module?: string }[]> };
    expect(facter.hardware.pci).toEqual([{ driver_module: 'virtio_pci' }, { driver_module: 'xhci_pci' }]);
    expect(facter.hardware.usb).toEqual([{ driver_module: 'usb_storage' }]);
    expect(facter.hardware.block).toEqual([{ driver_module: 'virtio_blk' }]);
  });

  it('says none where every driver is built into the kernel', () => {
    const builtIn = parseHardwareReport(report.split('\n').filter((l) => !l.startsWith('module')).join('\n'));
    expect(builtIn.initrdModules).toEqual([]);
    expect(JSON.parse(facterJson(builtIn)).hardware.pci).toBeUndefined();
  });
});

describe('a disk too small for a disko layout is refused before anything is erased', () => {
  it('reads disko sizes as sgdisk does', () => {
    expect(diskoSizeBytes('512M')).toBe(512 * 1024 ** 2);
    expect(diskoSizeBytes('1G')).toBe(1024 ** 3);
    expect(diskoSizeBytes('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(diskoSizeBytes('100%')).toBe('rest');
    expect(diskoSizeBytes('50%')).toBeNull();
  });
  it('needs the fixed partitions, 1 MiB alignment, 1 MiB for the rest and the backup GPT', () => {
    const need = layoutNeedsBytes({ ESP: '512M', root: '100%' });
    expect(need).toBe(514 * 1024 ** 2 + 33 * 512);
    expect(need! > 512 * 1024 ** 2).toBe(true);
    expect(need! < 1024 ** 3).toBe(true);
    expect(layoutNeedsBytes({ ESP: '512M', root: '50%' })).toBeNull();
  });
});
