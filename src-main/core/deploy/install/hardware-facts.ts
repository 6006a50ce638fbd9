/**
 * A machine's hardware as an install needs it, read the way NixOS does: the output of
 * `nixos-generate-config --show-hardware-config` when the machine has it (a NixOS
 * installer), and always a report from /proc, /sys, blkid and lspci (any Linux).
 */
import { initrdModulesOf, type InitrdModule, type SysDevice } from './initrd-modules';

export type { InitrdModule, SysDevice } from './initrd-modules';

export interface DiskPartition {
  readonly device: string;
  readonly sizeBytes: number;
  /** Filesystem found on it (blkid), e.g. ext4, vfat. */
  readonly fsType?: string;
  /** GPT partition name, e.g. disk-main-root. */
  readonly label?: string;
}

export interface Disk {
  readonly device: string;
  readonly sizeBytes: number;
  readonly model?: string;
  readonly serial?: string;
  /** Names under /dev/disk/by-id (stable across reboots; udev makes them). */
  readonly ids: readonly string[];
  readonly removable: boolean;
  readonly readOnly: boolean;
  /** "loop" for loop devices (a lab's disks, an installer's squashfs). */
  readonly kind: 'disk' | 'loop';
  readonly partitions: readonly DiskPartition[];
}

export interface NetworkInterface {
  readonly name: string;
  readonly mac: string;
  readonly state: string;
  readonly driver?: string;
  readonly addresses: readonly string[];
}

export interface HardwareFacts {
  /** The name the machine calls itself. */
  readonly hostname: string;
  /** uname -m, and the nix system it means (x86_64-linux...). */
  readonly arch: string;
  readonly nixSystem: string;
  readonly cpu: { readonly model: string; readonly cores: number };
  readonly memoryBytes: number;
  readonly bootMode: 'uefi' | 'bios';
  /** Block devices that have a /dev node, the install candidates first (writable, not a loop of the installer image). */
  readonly disks: readonly Disk[];
  readonly nics: readonly NetworkInterface[];
  /** `lspci` lines, when lspci is there. */
  readonly pci: readonly string[];
  /**
   * The PCI, USB, block and MMC devices /sys shows, each with its driver's name and that
   * driver's module (none: built into the kernel): what initrdModules is chosen from.
   */
  readonly devices: readonly SysDevice[];
  /**
   * Kernel modules the initrd needs (boot.initrd.availableKernelModules), chosen as
   * nixos-generate-config chooses them, each with where it was found: module names, never
   * driver names.
   */
  readonly initrdModules: readonly InitrdModule[];
  /** `nixos-generate-config --show-hardware-config --no-filesystems`, when the machine has it. */
  readonly nixosHardwareConfig?: string;
}

/**
 * The remote report: tab-separated lines, one fact each. A constant: it takes no
 * arguments, so nothing from outside ever reaches its text.
 */
export const hardwareScript = `
PATH=$PATH:/usr/sbin:/sbin
export LC_ALL=C
t=$(printf '\\t')
echo "hostname$t$(cat /proc/sys/kernel/hostname)"
echo "arch$t$(uname -m)"
echo "cpu$t$(grep -m1 -E '^(model name|Processor|cpu model)' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "cores$t$(grep -c '^processor' /proc/cpuinfo)"
echo "memory$t$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
if [ -d /sys/firmware/efi ]; then echo "boot\${t}uefi"; else echo "boot\${t}bios"; fi
# A block device's /dev node: /dev/NAME, or where /dev calls it otherwise (a disk presented
# under another name) the block node with its major:minor, as nixos-generate-config matches
# device nodes by their numbers.
devnum() { n=$(stat -L -c '%t %T' "$1" 2>/dev/null) && printf '%d:%d' "0x\${n% *}" "0x\${n#* }"; }
nodes=$(for f in /dev/*; do [ -b "$f" ] && echo "$(devnum "$f") $f"; done)
devnode() {
  want=$(cat "$1/dev" 2>/dev/null) || return 0
  f=/dev/\${1##*/}
  if [ -b "$f" ] && [ "$(devnum "$f")" = "$want" ]; then echo "$f"; return 0; fi
  printf '%s\n' "$nodes" | awk -v want="$want" '$1 == want { print $2; exit }'
}
for d in /sys/block/*; do
  name=\${d##*/}
  dev=$(devnode "$d")
  [ -n "$dev" ] || continue
  kind=disk
  [ -d "$d/loop" ] && kind=loop
  model=$(cat "$d/device/model" 2>/dev/null | sed 's/ *$//')
  serial=$(cat "$d/device/serial" 2>/dev/null | sed 's/ *$//')
  echo "disk$t$dev$t$(cat "$d/size")$t$(cat "$d/ro")$t$(cat "$d/removable")$t$model$t$serial$t$kind"
  for p in "$d/$name"*; do
    [ -e "$p/partition" ] || continue
    part=$(devnode "$p")
    [ -n "$part" ] || continue
    echo "part$t$dev$t$part$t$(cat "$p/size")$t$(blkid -p -o value -s TYPE "$part" 2>/dev/null)$t$(blkid -p -o value -s PART_ENTRY_NAME "$part" 2>/dev/null)"
  done
done
for l in /dev/disk/by-id/*; do
  [ -L "$l" ] || continue
  echo "id$t$(readlink -f "$l")$t\${l##*/}"
done
for n in /sys/class/net/*; do
  name=\${n##*/}
  [ "$name" = lo ] && continue
  driver=""
  [ -e "$n/device/driver" ] && driver=$(basename "$(readlink "$n/device/driver")")
  echo "nic$t$name$t$(cat "$n/address" 2>/dev/null)$t$(cat "$n/operstate" 2>/dev/null)$t$driver"
done
if command -v ip >/dev/null 2>&1; then
  ip -o addr show 2>/dev/null | while read -r _ name family address _; do
    [ "$name" = lo ] && continue
    echo "addr$t$name$t$address"
  done
fi
# The devices whose drivers the initrd may need: each one's driver (the name /sys gives it,
# e.g. virtio-pci) and that driver's module through its module link (e.g. virtio_pci; empty
# when the driver is built into the kernel). parseHardwareReport chooses among them as
# nixos-generate-config does.
driver_of() { [ -e "$1/driver" ] && basename "$(readlink "$1/driver")"; }
module_of() { [ -e "$1/driver/module" ] && basename "$(readlink -f "$1/driver/module")"; }
for d in /sys/bus/pci/devices/*; do
  [ -e "$d/class" ] || continue
  echo "pcidev$t\${d##*/}$t$(cat "$d/class")$t$(cat "$d/vendor" 2>/dev/null)$t$(cat "$d/device" 2>/dev/null)$t$(driver_of "$d")$t$(module_of "$d")"
done
for d in /sys/bus/usb/devices/*; do
  [ -e "$d/bInterfaceClass" ] || continue
  echo "usbdev$t\${d##*/}$t$(cat "$d/bInterfaceClass")$t$(cat "$d/bInterfaceProtocol" 2>/dev/null)$t$(driver_of "$d")$t$(module_of "$d")"
done
for d in /sys/class/block/* /sys/class/mmc_host/*; do
  [ -e "$d/device" ] || continue
  bus=block
  case "$d" in /sys/class/mmc_host/*) bus=mmc ;; esac
  echo "blockdev$t$bus$t\${d##*/}$t$(driver_of "$d/device")$t$(module_of "$d/device")"
done
if command -v lspci >/dev/null 2>&1; then lspci 2>/dev/null | sed "s/^/pci$t/"; fi
if command -v nixos-generate-config >/dev/null 2>&1; then
  echo "nixos-config-begin"
  nixos-generate-config --show-hardware-config --no-filesystems 2>/dev/null
  echo "nixos-config-end"
fi
exit 0
`;

const nixSystems: Readonly<Record<string, string>> = {
  x86_64: 'x86_64-linux',
  aarch64: 'aarch64-linux',
  arm64: 'aarch64-linux',
  i686: 'i686-linux',
  armv7l: 'armv7l-linux',
  riscv64: 'riscv64-linux',
};

/** A device's driver and module fields as the report gives them ("" when /sys has none). */
function driverAndModule(driver: string, module: string): { driver?: string; module?: string } {
  return { ...(driver ? { driver } : {}), ...(module ? { module } : {}) };
}

/** Parse the report of `hardwareScript`. Lines it does not know are skipped, so newer scripts stay readable. */
export function parseHardwareReport(text: string): HardwareFacts {
  const disks = new Map<string, { disk: Omit<Disk, 'ids' | 'partitions'>; ids: string[]; partitions: DiskPartition[] }>();
  const nics = new Map<string, { nic: Omit<NetworkInterface, 'addresses'>; addresses: string[] }>();
  const pci: string[] = [];
  const devices: SysDevice[] = [];
  const ids: [string, string][] = [];
  let hostname = '';
  let arch = '';
  let cpuModel = '';
  let cores = 0;
  let memoryKb = 0;
  let bootMode: HardwareFacts['bootMode'] = 'bios';
  const nixosLines: string[] = [];
  let inNixos = false;
  for (const line of text.split('\n')) {
    if (line === 'nixos-config-begin') {
      inNixos = true;
      continue;
    }
    if (line === 'nixos-config-end') {
      inNixos = false;
      continue;
    }
    if (inNixos) {
      nixosLines.push(line);
      continue;
    }
    const [key, ...f] = line.split('\t');
    const field = (i: number): string => f[i] ?? '';
    switch (key) {
      case 'hostname':
        hostname = field(0);
        break;
      case 'arch':
        arch = field(0);
        break;
      case 'cpu':
        cpuModel = field(0);
        break;
      case 'cores':
        cores = Number(field(0)) || 0;
        break;
      case 'memory':
        memoryKb = Number(field(0)) || 0;
        break;
      case 'boot':
        bootMode = field(0) === 'uefi' ? 'uefi' : 'bios';
        break;
      case 'disk': {
        const device = field(0);
        disks.set(device, {
          disk: {
            device,
            sizeBytes: (Number(field(1)) || 0) * 512,
            readOnly: field(2) === '1',
            removable: field(3) === '1',
            // The kernel's word, whatever /dev names it: a loop device's sysfs folder has loop/.
            kind: field(6) === 'loop' ? 'loop' : 'disk',
            ...(field(4) ? { model: field(4) } : {}),
            ...(field(5) ? { serial: field(5) } : {}),
          },
          ids: [],
          partitions: [],
        });
        break;
      }
      case 'part':
        disks.get(field(0))?.partitions.push({
          device: field(1),
          sizeBytes: (Number(field(2)) || 0) * 512,
          ...(field(3) ? { fsType: field(3) } : {}),
          ...(field(4) ? { label: field(4) } : {}),
        });
        break;
      case 'id':
        ids.push([field(0), field(1)]);
        break;
      case 'nic':
        nics.set(field(0), { nic: { name: field(0), mac: field(1), state: field(2), ...(field(3) ? { driver: field(3) } : {}) }, addresses: [] });
        break;
      case 'addr':
        nics.get(field(0))?.addresses.push(field(1));
        break;
      case 'pcidev':
        devices.push({ bus: 'pci', address: field(0), pciClass: field(1), vendor: field(2), device: field(3), ...driverAndModule(field(4), field(5)) });
        break;
      case 'usbdev':
        devices.push({ bus: 'usb', name: field(0), interfaceClass: field(1), interfaceProtocol: field(2), ...driverAndModule(field(3), field(4)) });
        break;
      case 'blockdev': {
        const bus = field(0);
        if (bus === 'block' || bus === 'mmc') devices.push({ bus, name: field(1), ...driverAndModule(field(2), field(3)) });
        break;
      }
      case 'pci':
        pci.push(f.join('\t'));
        break;
      default:
        break;
    }
  }
  for (const [target, id] of ids) disks.get(target)?.ids.push(id);
  const allDisks: Disk[] = [...disks.values()].map(({ disk, ids: diskIds, partitions }) => ({ ...disk, ids: diskIds.sort(), partitions }));
  // Install candidates first: writable, with a size; then the rest in device order.
  const candidate = (d: Disk): number => (d.readOnly || d.sizeBytes === 0 ? 1 : 0);
  allDisks.sort((a, b) => candidate(a) - candidate(b) || a.device.localeCompare(b.device, 'en', { numeric: true }));
  const nixosHardwareConfig = nixosLines.join('\n').trim();
  return {
    hostname,
    arch,
    nixSystem: nixSystems[arch] ?? `${arch}-linux`,
    cpu: { model: cpuModel, cores },
    memoryBytes: memoryKb * 1024,
    bootMode,
    disks: allDisks,
    nics: [...nics.values()].map(({ nic, addresses }) => ({ ...nic, addresses })),
    pci,
    devices,
    initrdModules: initrdModulesOf(devices),
    ...(nixosHardwareConfig ? { nixosHardwareConfig } : {}),
  };
}

/** The disks an install may erase: writable block devices with a size (never read-only media). */
export function installableDisks(facts: HardwareFacts): readonly Disk[] {
  return facts.disks.filter((d) => !d.readOnly && d.sizeBytes > 0);
}
