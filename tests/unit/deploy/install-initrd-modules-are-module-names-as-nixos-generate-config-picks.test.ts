import { describe, expect, it } from 'vitest';
import { parseHardwareReport } from '../../../src-main/core/deploy/install/hardware-facts';
import { hardwareConfigurationNix } from '../../../src-main/core/deploy/install/hardware-files';
import { isModuleName } from '../../../src-main/core/deploy/install/initrd-modules';

// The device lines of hardwareScript's report ("pcidev", "usbdev", "blockdev": what /sys shows
// of each device, its driver's name and that driver's module), for real machines.
const t = '\t';
const pci = (address: string, cls: string, vendor: string, device: string, driver = '', module = '') => ['pcidev', address, cls, vendor, device, driver, module].join(t);
const usb = (name: string, cls: string, protocol: string, driver = '', module = '') => ['usbdev', name, cls, protocol, driver, module].join(t);
const block = (bus: 'block' | 'mmc', name: string, driver = '', module = '') => ['blockdev', bus, name, driver, module].join(t);
const modulesOf = (lines: readonly string[]): string[] => parseHardwareReport(['arch\tx86_64', ...lines].join('\n')).initrdModules.map((m) => m.module);

/**
 * This machine, as the lab installer read it (2026-12-03, kernel 6.18 without loadable modules:
 * no /proc/modules, no driver has a module link): every PCI device is virtio-pci, the disk's
 * driver is virtio_blk, all built in.
 */
const thisMachine = [
  pci('0000:00:00.0', '0x060000', '0x8086', '0x0d57'),
  pci('0000:00:01.0', '0xffff00', '0x1af4', '0x1045', 'virtio-pci'),
  pci('0000:00:02.0', '0x018000', '0x1af4', '0x1042', 'virtio-pci'),
  pci('0000:00:03.0', '0x020000', '0x1af4', '0x1041', 'virtio-pci'),
  pci('0000:00:04.0', '0xffff00', '0x1af4', '0x1053', 'virtio-pci'),
  pci('0000:00:05.0', '0xffff00', '0x1af4', '0x1044', 'virtio-pci'),
  block('block', 'vda', 'virtio_blk'),
];

/**
 * A QEMU i440fx guest on NixOS's modular kernel, whose nixos-generate-config writes the
 * well-known [ "ata_piix" "uhci_hcd" "virtio_pci" "floppy" "sr_mod" "virtio_blk" ].
 */
const qemuGuest = [
  pci('0000:00:00.0', '0x060000', '0x8086', '0x1237'),
  pci('0000:00:01.0', '0x060100', '0x8086', '0x7000'),
  pci('0000:00:01.1', '0x010180', '0x8086', '0x7010', 'ata_piix', 'ata_piix'),
  pci('0000:00:01.2', '0x0c0300', '0x8086', '0x7020', 'uhci_hcd', 'uhci_hcd'),
  pci('0000:00:01.3', '0x068000', '0x8086', '0x7113', 'piix4_smbus', 'i2c_piix4'),
  pci('0000:00:02.0', '0x030000', '0x1234', '0x1111', 'bochs-drm', 'bochs'),
  pci('0000:00:03.0', '0x020000', '0x1af4', '0x1000', 'virtio-pci', 'virtio_pci'),
  pci('0000:00:04.0', '0x010000', '0x1af4', '0x1001', 'virtio-pci', 'virtio_pci'),
  usb('1-1:1.0', '03', '00', 'usbhid', 'usbhid'),
  block('block', 'fd0', 'floppy', 'floppy'),
  block('block', 'sr0', 'sr', 'sr_mod'),
  block('block', 'vda', 'virtio_blk', 'virtio_blk'),
  block('block', 'loop0'),
];

/** A laptop: NVMe disk, xHCI and Thunderbolt controllers, a USB stick and a USB keyboard, an SD card reader. */
const laptop = [
  pci('0000:00:14.0', '0x0c0330', '0x8086', '0xa0ed', 'xhci_hcd', 'xhci_pci'),
  pci('0000:00:0d.2', '0x0c0340', '0x8086', '0x9a1b', 'thunderbolt', 'thunderbolt'),
  pci('0000:00:14.3', '0x028000', '0x8086', '0xa0f0', 'iwlwifi', 'iwlwifi'),
  pci('0000:00:1e.6', '0x080501', '0x8086', '0x34f8', 'sdhci-pci', 'sdhci_pci'),
  pci('0000:01:00.0', '0x010802', '0x144d', '0xa80a', 'nvme', 'nvme'),
  usb('3-1:1.0', '08', '50', 'usb-storage', 'usb_storage'),
  usb('3-2:1.0', '03', '01', 'usbhid', 'usbhid'),
  usb('3-3:1.0', 'e0', '01', 'btusb', 'btusb'),
  block('block', 'nvme0n1'),
  block('block', 'sda', 'sd', 'sd_mod'),
  block('block', 'sda1'),
  block('mmc', 'mmc0', 'sdhci-pci', 'sdhci_pci'),
];

describe('initrd modules: the modules behind the drivers of disks and controllers, as nixos-generate-config picks them', () => {
  it('this machine (every driver built into the kernel) needs none: no driver name (virtio-pci, virtio_blk) stands in for a module', () => {
    const facts = parseHardwareReport(['arch\tx86_64', ...thisMachine].join('\n'));
    expect(facts.initrdModules).toEqual([]);
    // What /sys said is kept as it said it: the driver, and no module.
    expect(facts.devices.filter((d) => d.bus === 'pci').map((d) => [d.driver, d.module])).toEqual([[undefined, undefined], ...Array.from({ length: 5 }, () => ['virtio-pci', undefined])]);
    expect(facts.devices.find((d) => d.bus === 'block')).toEqual({ bus: 'block', name: 'vda', driver: 'virtio_blk' });
    expect(hardwareConfigurationNix(facts, 'box')).toContain('  boot.initrd.availableKernelModules = [ ];\n');
  });

  it('a QEMU guest on a modular kernel gets what nixos-generate-config writes for it', () => {
    expect(modulesOf(qemuGuest)).toEqual(['ata_piix', 'floppy', 'sr_mod', 'uhci_hcd', 'virtio_blk', 'virtio_pci']);
  });

  it("a laptop gets its controllers' and disks' modules (xhci_pci for xhci_hcd, usb_storage for usb-storage, sd_mod for sd), not its wifi's or bluetooth's", () => {
    const facts = parseHardwareReport(['arch\tx86_64', ...laptop].join('\n'));
    expect(facts.initrdModules).toEqual([
      { module: 'nvme', bus: 'pci' },
      { module: 'sd_mod', bus: 'block' },
      { module: 'sdhci_pci', bus: 'mmc' },
      { module: 'thunderbolt', bus: 'pci' },
      { module: 'usb_storage', bus: 'usb' },
      { module: 'usbhid', bus: 'usb' },
      { module: 'xhci_pci', bus: 'pci' },
    ]);
    expect(hardwareConfigurationNix(facts, 'laptop')).toContain(
      '  boot.initrd.availableKernelModules = [ "nvme" "sd_mod" "sdhci_pci" "thunderbolt" "usb_storage" "usbhid" "xhci_pci" ];\n',
    );
  });

  it('a virtio SCSI controller (1af4:1004) needs virtio_scsi even with its driver built in', () => {
    expect(modulesOf([pci('0000:00:03.0', '0x010000', '0x1af4', '0x1004', 'virtio-pci')])).toEqual(['virtio_scsi']);
    expect(modulesOf([pci('0000:00:03.0', '0x010000', '0x1AF4', '0x1004', 'virtio-pci', 'virtio_pci')])).toEqual(['virtio_pci', 'virtio_scsi']);
  });

  it('a module field that is no module name, or a bus the report does not have, is not taken', () => {
    expect(modulesOf([pci('0000:00:04.0', '0x010000', '0x1af4', '0x1001', 'virtio-pci', 'virtio-pci'), block('block', 'vda', 'virtio_blk', 'virtio blk'), ['blockdev', 'isa', 'fd0', 'floppy', 'floppy'].join(t)])).toEqual([]);
    expect(isModuleName('virtio_pci')).toBe(true);
    for (const name of ['virtio-pci', 'usb-storage', '', 'a b', '../x']) expect(isModuleName(name)).toBe(false);
  });
});
