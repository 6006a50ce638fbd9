import { assertNever } from '../../contract';

/**
 * Which kernel modules a machine's initrd needs (boot.initrd.availableKernelModules), chosen
 * from its devices as nixos-generate-config chooses them. The remote report only says what
 * /sys shows of each device; the choice is made here, where it is tested.
 */

/**
 * A device as /sys shows it: its driver's name (the `driver` link, e.g. virtio-pci, sd,
 * usb-storage) and the module behind that driver (the driver's `module` link, e.g.
 * virtio_pci, sd_mod, usb_storage; none when the driver is built into the kernel).
 */
export type SysDevice =
  | { readonly bus: 'pci'; readonly address: string; readonly pciClass: string; readonly vendor: string; readonly device: string; readonly driver?: string; readonly module?: string }
  | { readonly bus: 'usb'; readonly name: string; readonly interfaceClass: string; readonly interfaceProtocol: string; readonly driver?: string; readonly module?: string }
  | { readonly bus: 'block' | 'mmc'; readonly name: string; readonly driver?: string; readonly module?: string };

/** A kernel module the initrd needs, with the kind of device it was found for. */
export interface InitrdModule {
  readonly module: string;
  /** pci: a storage, FireWire or USB controller; usb: mass storage or a keyboard; block, mmc: a disk or an MMC host. */
  readonly bus: 'pci' | 'usb' | 'block' | 'mmc';
}

/**
 * A module's name as the kernel keeps it under /sys/module: letters, digits and `_` (the kernel
 * turns a module's `-` into `_`). A driver's name (virtio-pci) never passes for one.
 */
export function isModuleName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/**
 * The module one device makes the initrd need, if any. As nixos-generate-config: only a
 * driver's module counts (a built-in driver needs nothing), for a PCI mass-storage (class
 * 0x01), FireWire (0x0c00) or USB (0x0c03) controller, a USB mass-storage interface (class 08)
 * or keyboard (class 03, protocol 01), and every block and MMC device; and a virtio SCSI
 * controller (1af4:1004) needs virtio_scsi whatever its driver.
 */
function modulesOf(device: SysDevice): readonly string[] {
  const module = device.module !== undefined && isModuleName(device.module) ? device.module : undefined;
  switch (device.bus) {
    case 'pci': {
      const wanted = module !== undefined && /^0x(01|0c00|0c03)/i.test(device.pciClass);
      const virtioScsi = device.vendor.toLowerCase() === '0x1af4' && device.device.toLowerCase() === '0x1004';
      return [...(wanted ? [module] : []), ...(virtioScsi ? ['virtio_scsi'] : [])];
    }
    case 'usb': {
      const wanted = device.interfaceClass === '08' || (device.interfaceClass === '03' && device.interfaceProtocol === '01');
      return module !== undefined && wanted ? [module] : [];
    }
    case 'block':
    case 'mmc':
      return module !== undefined ? [module] : [];
    default:
      return assertNever(device, 'device');
  }
}

/** The initrd modules of a machine's devices: each module once (where it was first found), by name. */
export function initrdModulesOf(devices: readonly SysDevice[]): readonly InitrdModule[] {
  const found = new Map<string, InitrdModule>();
  for (const device of devices) {
    for (const module of modulesOf(device)) if (!found.has(module)) found.set(module, { module, bus: device.bus });
  }
  return [...found.values()].sort((a, b) => a.module.localeCompare(b.module, 'en'));
}
