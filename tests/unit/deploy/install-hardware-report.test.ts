import { describe, expect, it } from 'vitest';
import { parseHardwareReport } from '../../../src-main/core/deploy/install/hardware-facts';
import { facterJson, hardwareConfigurationNix } from '../../../src-main/core/deploy/install/hardware-files';
import { diskoSizeBytes, layoutNeedsBytes } from '../../../src-main/core/deploy/install/disk-fit';

const t = '\t';
/** A report as hardwareScript prints it, for a VM whose disk and USB drivers are loadable modules. */
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
  `pcidev${t}0000:00:04.0${t}0x010000${t}0x1af4${t}0x1001${t}virtio-pci${t}virtio_pci`,
  `pcidev${t}0000:00:05.0${t}0x0c0330${t}0x8086${t}0x1e31${t}xhci_hcd${t}xhci_pci`,
  `usbdev${t}1-1:1.0${t}08${t}50${t}usb-storage${t}usb_storage`,
  `blockdev${t}block${t}vda${t}virtio_blk${t}virtio_blk`,
  // Lines of older scripts (a sysfs driver name where a module belongs) are not read.
  `module${t}pci${t}virtio-pci`,
  `driver${t}virtio-pci`,
].join('\n');

describe('hardware report: disks, and the initrd modules written out', () => {
  const facts = parseHardwareReport(report);

  it('reads the disk kind the kernel reported, whatever /dev calls the disk', () => {
    expect(facts.disks.map((d) => [d.device, d.kind, d.partitions.map((p) => p.device)])).toEqual([
      ['/dev/vda', 'disk', ['/dev/vda1']],
      ['/dev/vdb', 'loop', []],
    ]);
  });

  it('writes the modules into hardware-configuration.nix and facter.json', () => {
    expect(facts.initrdModules.map((m) => m.module)).toEqual(['usb_storage', 'virtio_blk', 'virtio_pci', 'xhci_pci']);
    expect(hardwareConfigurationNix(facts, 'box')).toContain('  boot.initrd.availableKernelModules = [ "usb_storage" "virtio_blk" "virtio_pci" "xhci_pci" ];\n');
    const facter = JSON.parse(facterJson(facts)) as { hardware: Record<string, { driver_module?: string }[]> };
    expect(facter.hardware.pci).toEqual([{ driver_module: 'virtio_pci' }, { driver_module: 'xhci_pci' }]);
    expect(facter.hardware.usb).toEqual([{ driver_module: 'usb_storage' }]);
    expect(facter.hardware.block).toEqual([{ driver_module: 'virtio_blk' }]);
  });

  it('says none where every driver is built into the kernel', () => {
    const builtIn = parseHardwareReport(report.split('\n').map((l) => (/^(pcidev|usbdev|blockdev)\t/.test(l) ? l.replace(/\t[^\t]*$/, '\t') : l)).join('\n'));
    expect(builtIn.devices.map((d) => d.driver)).toEqual(['virtio-pci', 'xhci_hcd', 'usb-storage', 'virtio_blk']);
    expect(builtIn.initrdModules).toEqual([]);
    expect(hardwareConfigurationNix(builtIn, 'box')).toContain('  boot.initrd.availableKernelModules = [ ];\n');
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
