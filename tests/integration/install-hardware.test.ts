import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../src-main/core/core';
import type { DiskChoice, HardwareFacts, HardwareFileResult } from '../../src-main/core/deploy/install/contract';
import type { FleetError } from '../../src-main/shared/fleet-error';
import { startInstaller, type Installer } from '../harness/hosts/installer';
import { waitForPort } from '../harness/hosts/host';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

/** The loop devices attached right now, as losetup lists them. */
function loopDevices(): string {
  return execFileSync('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'], { encoding: 'utf8' });
}

describe('hardware facts of the lab installer, read over SSH through the core (real sshd, loop disks)', () => {
  let installer: Installer;
  let core: FleetCore;
  let checkout: string;

  beforeAll(async () => {
    installer = await startInstaller({ diskSize: '96m', disks: 2 });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-install-home-'));
    fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    fs.writeFileSync(path.join(home, '.ssh/config'), `Include ${installer.lab.sshConfigPath}\n`);
    checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-install-flake-'));
    fs.cpSync(path.join(repoRoot, 'flake'), checkout, { recursive: true });
    git(checkout, 'init', '-q', '-b', 'main');
    git(checkout, 'add', '-A');
    git(checkout, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab');
    core = createCore({ host: 'cli', root: checkout, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-data-')), env: { ...process.env, HOME: home } });
  }, 120_000);
  afterAll(async () => {
    await core?.dispose();
    await installer?.stop();
  });

  it('reports CPU, memory, boot mode, the blank disks with their sizes (by the installer\'s names, /dev/vda and /dev/vdb) and the NIC, and none of the machine disks', async () => {
    const facts = (await core.invoke('install.hardware', { to: installer.host.name })) as HardwareFacts;
    expect(facts.hostname).toBe(installer.host.name);
    expect(facts.nixSystem).toBe('x86_64-linux');
    expect(facts.cpu.cores).toBe(os.cpus().length);
    expect(facts.memoryBytes).toBe(Number(/MemTotal:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1]) * 1024);
    expect(facts.bootMode).toBe(fs.existsSync('/sys/firmware/efi') ? 'uefi' : 'bios');
    expect(installer.disks.map((d) => d.device)).toEqual(['/dev/vda', '/dev/vdb']);
    // Named as the installer's /dev names them; the kernel's word for what they are is still loop.
    expect(facts.disks.map((d) => [d.device, d.sizeBytes, d.kind, d.partitions.length])).toEqual(installer.disks.map((d) => [d.device, 96 * 1024 ** 2, 'loop', 0]));
    const eth0 = facts.nics.find((n) => n.name === 'eth0');
    expect(eth0?.addresses).toContain(`${installer.host.address}/30`);
    expect(eth0?.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  });

  it('sees partitions once a disk is partitioned and formatted on the installer', async () => {
    const disk = installer.disks[1]?.device ?? '';
    // Partition nodes named after the disk (/dev/vdb1), made from the kernel's partitions of its loop device ($2).
    const made = await installer.host.exec([
      '/bin/sh', '-c',
      'sgdisk -n1:0:+16M -t1:EF00 -c1:disk-main-ESP -n2:0:0 -t2:8300 -c2:disk-main-root "$1" >/dev/null && partprobe "$1" && for p in 1 2; do s=/sys/class/block/${2#/dev/}p$p/dev; mknod "$1$p" b $(cut -d: -f1 $s) $(cut -d: -f2 $s); done && mkfs.vfat "$1"1 >/dev/null && mkfs.ext4 -q "$1"2',
      'sh', disk, installer.disks[1]?.loop ?? '',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const facts = (await core.invoke('install.hardware', { to: installer.host.name })) as HardwareFacts;
    const partitioned = facts.disks.find((d) => d.device === disk);
    expect(partitioned?.partitions.map((p) => [p.device, p.fsType, p.label])).toEqual([
      [`${disk}1`, 'vfat', 'disk-main-ESP'],
      [`${disk}2`, 'ext4', 'disk-main-root'],
    ]);
  });

  it('previews, then writes hardware-configuration.nix from the facts (staged in git), and refuses to overwrite it unasked', async () => {
    const shown = (await core.invoke('install.writeHardware', { system: 'docker-node', to: installer.host.name, preview: true })) as HardwareFileResult;
    expect(shown).toMatchObject({ file: 'systems/docker-node/hardware-configuration.nix', written: false, existed: false, imported: false });
    expect(fs.existsSync(path.join(checkout, shown.file))).toBe(false);
    expect(shown.diff.patch).toMatch(/^diff --git a\/systems\/docker-node\/hardware-configuration\.nix b\/systems\/docker-node\/hardware-configuration\.nix\nnew file mode 100644\n--- \/dev\/null\n\+\+\+ b\//);
    expect(shown.diff.patch).toContain('+  boot.initrd.availableKernelModules = [');

    const written = (await core.invoke('install.writeHardware', { system: 'docker-node', to: installer.host.name, expectSha256: shown.sha256 })) as HardwareFileResult;
    expect(written).toMatchObject({ file: shown.file, written: true, sha256: shown.sha256 });
    expect(written.hint).toContain('imports');
    const text = fs.readFileSync(path.join(checkout, written.file), 'utf8');
    // The file holds exactly the previewed lines.
    expect(shown.diff.patch.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1))).toEqual(text.trimEnd().split('\n'));
    expect(git(checkout, 'diff', '--cached', '--name-only')).toContain(written.file);
    await expect(core.invoke('install.writeHardware', { system: 'docker-node', to: installer.host.name })).rejects.toThrow(/already exists/);
  });

  /**
   * The initrd modules this machine's /sys names, read independently of the script: for
   * each PCI storage, FireWire or USB controller, USB mass storage or keyboard, block or MMC
   * device whose driver has a `module` link, that module (as nixos-generate-config reads it).
   */
  function modulesInSys(): string[] {
    const moduleOf = (device: string): string[] => (fs.existsSync(`${device}/driver/module`) ? [path.basename(fs.realpathSync(`${device}/driver/module`))] : []);
    const read = (file: string): string => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '');
    const list = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).map((n) => path.join(dir, n)) : []);
    const found = [
      ...list('/sys/bus/pci/devices').flatMap((d) => (/^0x(01|0c00|0c03)/.test(read(`${d}/class`)) ? moduleOf(d) : [])),
      ...list('/sys/bus/pci/devices').flatMap((d) => (read(`${d}/vendor`) === '0x1af4' && read(`${d}/device`) === '0x1004' ? ['virtio_scsi'] : [])),
      ...list('/sys/bus/usb/devices').flatMap((d) => (read(`${d}/bInterfaceClass`) === '08' || (read(`${d}/bInterfaceClass`) === '03' && read(`${d}/bInterfaceProtocol`) === '01') ? moduleOf(d) : [])),
      ...[...list('/sys/class/block'), ...list('/sys/class/mmc_host')].flatMap((d) => (fs.existsSync(`${d}/device`) ? moduleOf(`${d}/device`) : [])),
    ];
    return [...new Set(found)].sort();
  }

  /** This machine's PCI devices and disks as /sys shows them: [name, driver, module], "" for none. */
  function devicesInSys(): string[][] {
    const linked = (file: string, resolve: boolean): string => (fs.existsSync(file) ? path.basename(resolve ? fs.realpathSync(file) : fs.readlinkSync(file)) : '');
    const of = (dir: string, name: string): string[] => [name, linked(`${dir}/driver`, false), linked(`${dir}/driver/module`, true)];
    return [
      ...fs.readdirSync('/sys/bus/pci/devices').sort().map((d) => of(`/sys/bus/pci/devices/${d}`, d)),
      ...fs.readdirSync('/sys/class/block').sort().flatMap((d) => (fs.existsSync(`/sys/class/block/${d}/device`) ? [of(`/sys/class/block/${d}/device`, d)] : [])),
    ];
  }

  it('initrd modules are kernel module names read through each driver\'s module link, not sysfs driver names (virtio-pci); built-in drivers need none', async () => {
    const facts = (await core.invoke('install.hardware', { to: installer.host.name })) as HardwareFacts;
    // The report keeps each device's driver apart from its module, as this machine's /sys has them.
    const reported = facts.devices.filter((d) => d.bus === 'pci' || d.bus === 'block').map((d) => [d.bus === 'pci' ? d.address : d.name, d.driver ?? '', d.module ?? '']);
    expect(reported).toEqual(devicesInSys());
    expect(facts.initrdModules.map((m) => m.module)).toEqual(modulesInSys());
    for (const m of facts.initrdModules) expect(m.module).toMatch(/^[A-Za-z0-9_]+$/);
    // No driver name stands in for a module (this machine: every PCI driver is virtio-pci, the disk's virtio_blk, all built in).
    const builtIn = facts.devices.filter((d) => d.driver !== undefined && d.module === undefined).map((d) => d.driver!);
    for (const driver of builtIn) expect(facts.initrdModules.map((m) => m.module)).not.toContain(driver);
  });

  /**
   * EMULATION of a kernel with loadable modules: this machine's kernel has every driver built
   * in, so no device has a module link. Inside the installer only (its mount namespace), a
   * view over /sys/bus/pci/devices where devices have classes, ids and drivers whose
   * `module` link names a module other than the driver: virtio-pci -> virtio_pci,
   * xhci_hcd -> xhci_pci, ahci -> ahci; a NIC (not a disk or USB controller), a built-in
   * driver (no module link) and a virtio SCSI controller (virtio_scsi whatever its driver).
   */
  async function withModularPciView<T>(run: () => Promise<T>): Promise<T> {
    const view = fs.mkdtempSync(path.join(installer.host.dir, 'modular-sys-'));
    const devices: [string, string, string, string, string | null][] = [
      // address, class, vendor:device, driver, its module (null: built in)
      ['0000:00:02.0', '0x018000', '0x1af4:0x1001', 'virtio-pci', 'virtio_pci'],
      ['0000:00:03.0', '0x020000', '0x1af4:0x1000', 'virtio-pci', 'virtio_pci'],
      ['0000:00:04.0', '0x0c0330', '0x8086:0x1e31', 'xhci_hcd', 'xhci_pci'],
      ['0000:00:05.0', '0x010601', '0x8086:0x2922', 'ahci', 'ahci'],
      ['0000:00:06.0', '0x010802', '0x144d:0xa808', 'nvme', null],
      ['0000:00:07.0', '0x010000', '0x1af4:0x1004', 'virtio-pci', null],
    ];
    for (const [address, cls, ids, driver, module] of devices) {
      const dir = path.join(view, 'devices', address);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'class'), `${cls}\n`);
      fs.writeFileSync(path.join(dir, 'vendor'), `${ids.split(':')[0]}\n`);
      fs.writeFileSync(path.join(dir, 'device'), `${ids.split(':')[1]}\n`);
      const driverDir = path.join(view, module ? 'drivers' : 'drivers-built-in', driver);
      fs.mkdirSync(driverDir, { recursive: true });
      if (module) {
        fs.mkdirSync(path.join(view, 'module', module), { recursive: true });
        if (!fs.existsSync(path.join(driverDir, 'module'))) fs.symlinkSync(path.join(view, 'module', module), path.join(driverDir, 'module'));
      }
      fs.symlinkSync(driverDir, path.join(dir, 'driver'));
    }
    const mounted = await installer.host.exec(['mount', '--bind', path.join(view, 'devices'), '/sys/bus/pci/devices']);
    expect(mounted.code, mounted.stderr).toBe(0);
    try {
      return await run();
    } finally {
      await installer.host.exec(['umount', '/sys/bus/pci/devices']);
      fs.rmSync(view, { recursive: true, force: true });
    }
  }

  it('with a modular kernel (EMULATION: a /sys/bus/pci view with module links inside the installer) the initrd modules are the module names of its disk and USB controllers', async () => {
    await withModularPciView(async () => {
      const facts = (await core.invoke('install.hardware', { to: installer.host.name })) as HardwareFacts;
      // What the report read: each driver's name, and its module only through the module link.
      expect(facts.devices.filter((d) => d.bus === 'pci').map((d) => [d.bus === 'pci' && d.address, d.driver, d.module])).toEqual([
        ['0000:00:02.0', 'virtio-pci', 'virtio_pci'],
        ['0000:00:03.0', 'virtio-pci', 'virtio_pci'],
        ['0000:00:04.0', 'xhci_hcd', 'xhci_pci'],
        ['0000:00:05.0', 'ahci', 'ahci'],
        ['0000:00:06.0', 'nvme', undefined],
        ['0000:00:07.0', 'virtio-pci', undefined],
      ]);
      expect(facts.initrdModules.filter((m) => m.bus === 'pci')).toEqual([
        { module: 'ahci', bus: 'pci' },
        { module: 'virtio_pci', bus: 'pci' },
        { module: 'virtio_scsi', bus: 'pci' },
        { module: 'xhci_pci', bus: 'pci' },
      ]);
      const shown = (await core.invoke('install.writeHardware', { system: 'docker-node', to: installer.host.name, replace: true, preview: true })) as HardwareFileResult;
      expect(shown.diff.patch).toContain('+  boot.initrd.availableKernelModules = [ "ahci" "virtio_pci" "virtio_scsi" "xhci_pci" ];');
    });
  });

  it('writes facter.json in nixos-facter\'s shape; the system built with it loads the machine\'s initrd modules (EMULATION: modular kernel /sys view)', async () => {
    const stale = await core.invoke('install.writeHardware', { system: 'docker-node', to: installer.host.name, format: 'facter.json', expectSha256: '0'.repeat(64) }).catch((e: unknown) => e);
    expect((stale as FleetError).code).toBe('conflict');
    expect(fs.existsSync(path.join(checkout, 'systems/docker-node/facter.json'))).toBe(false);

    const { written, facts } = await withModularPciView(async () => ({
      written: (await core.invoke('install.writeHardware', { system: 'docker-node', to: installer.host.name, format: 'facter.json' })) as HardwareFileResult,
      facts: (await core.invoke('install.hardware', { to: installer.host.name })) as HardwareFacts,
    }));
    expect(written).toMatchObject({ file: 'systems/docker-node/facter.json', written: true, imported: false });
    expect(written.hint).toContain('hardware.facter.reportPath = ./facter.json;');
    const report = JSON.parse(fs.readFileSync(path.join(checkout, written.file), 'utf8')) as { version: number; system: string; hardware: Record<string, { driver_module?: string; unix_device_names?: string[] }[]> };
    expect(report).toMatchObject({ version: 1, system: 'x86_64-linux' });
    expect(report.hardware.disk?.map((d) => d.unix_device_names?.[0])).toEqual(facts.disks.map((d) => d.device));
    expect(report.hardware.pci?.map((d) => d.driver_module)).toEqual(['ahci', 'virtio_pci', 'virtio_scsi', 'xhci_pci']);
    expect(git(checkout, 'diff', '--cached', '--name-only')).toContain(written.file);

    // Used as the hint says, the real evaluation takes the modules from it.
    const defaultNix = path.join(checkout, 'systems/docker-node/default.nix');
    const before = fs.readFileSync(defaultNix, 'utf8');
    fs.writeFileSync(defaultNix, before.replace('homelab.shell = "bash";', 'homelab.shell = "bash";\n  hardware.facter.reportPath = ./facter.json;'));
    try {
      const modules = JSON.parse(
        execFileSync('nix', ['--extra-experimental-features', 'nix-command flakes', 'eval', '--json', `${checkout}#nixosConfigurations.docker-node.config.boot.initrd.availableKernelModules`], { encoding: 'utf8' }),
      ) as string[];
      expect(modules).toEqual(expect.arrayContaining(['ahci', 'virtio_pci', 'virtio_scsi', 'xhci_pci', 'virtio_blk']));
    } finally {
      fs.writeFileSync(defaultNix, before);
    }
  });

  it('previews, then points disko.nix at the chosen disk, the rest of the file as it was', async () => {
    // The second disk: disko.nix names the first (/dev/vda) already.
    const disk = installer.disks[1]?.device ?? '';
    const original = fs.readFileSync(path.join(checkout, 'systems/docker-node/disko.nix'), 'utf8');
    const shown = (await core.invoke('install.chooseDisk', { system: 'docker-node', device: disk, preview: true })) as DiskChoice;
    expect(shown).toMatchObject({ file: 'systems/docker-node/disko.nix', previous: '/dev/vda', device: disk, written: false });
    expect(shown.diff.patch).toContain('-    device = "/dev/vda";\n+    device = "' + disk + '";');
    expect(fs.readFileSync(path.join(checkout, 'systems/docker-node/disko.nix'), 'utf8')).toBe(original);

    const chosen = (await core.invoke('install.chooseDisk', { system: 'docker-node', device: disk })) as DiskChoice;
    expect(chosen).toMatchObject({ previous: '/dev/vda', device: disk, written: true });
    const disko = fs.readFileSync(path.join(checkout, 'systems/docker-node/disko.nix'), 'utf8');
    expect(disko).toContain(`device = "${disk}";`);
    expect(disko.replace(`device = "${disk}";`, 'device = "/dev/vda";')).toBe(fs.readFileSync(path.join(repoRoot, 'flake/systems/docker-node/disko.nix'), 'utf8'));
    expect(git(checkout, 'diff', '--cached', '--name-only')).toContain('systems/docker-node/disko.nix');
  });

  it('refuses to install onto a disk too small for disko.nix (96 MiB for a 512M ESP and a root) before asking, and the disk stays untouched', async () => {
    const disk = installer.disks[1]!;
    const asked: string[] = [];
    const off = core.subscribe((e) => {
      if (e.type === 'prompt.request') asked.push(e.request.title);
    });
    const wiped = await installer.host.exec(['wipefs', '--all', '--quiet', disk.device]);
    expect(wiped.code, wiped.stderr).toBe(0);
    const before = fs.readFileSync(disk.file);
    try {
      const { jobId } = (await core.invoke('install.start', { system: 'docker-node', to: installer.host.name, disk: disk.device })) as { jobId: string };
      const job = await core.context.jobs.wait(jobId);
      expect(job.status).toBe('failed');
      expect(job.error?.message).toContain(`${disk.device} (96 MiB) is too small for systems/docker-node/disko.nix: its partitions (ESP 512M, root 100%) need at least 514 MiB.`);
      expect(job.error?.message).toContain(`${disk.device} was not touched.`);
    } finally {
      off();
    }
    expect(asked).toEqual([]);
    expect(fs.readFileSync(disk.file).equals(before)).toBe(true);
    expect(fs.existsSync(path.join(checkout, 'systems/docker-node/ssh_host_ed25519_key.pub'))).toBe(false);
  });

  it('reboot with nothing installed brings the installer back as it was (the lab reboot, not the machine)', async () => {
    const before = installer.host.hostPublicKey;
    execFileSync('ssh', ['-F', installer.lab.sshConfigPath, installer.host.name, 'reboot'], { stdio: 'ignore' });
    const log = path.join(installer.host.dir, 'log/boot.log');
    await expect.poll(() => fs.readFileSync(log, 'utf8'), { timeout: 30_000, interval: 200 }).toContain('the installer starts again');
    await waitForPort(installer.host.address, 22, 30_000);
    const facts = (await core.invoke('install.hardware', { to: installer.host.name })) as HardwareFacts;
    expect(facts.hostname).toBe(installer.host.name);
    expect(installer.host.hostPublicKey).toBe(before);
    expect(fs.readFileSync(log, 'utf8')).toContain('no installed system');
  });

  it('stopping the installer detaches its loop devices and removes their files', async () => {
    const disks = installer.disks;
    for (const d of disks) expect(loopDevices()).toContain(d.file);
    await installer.stop();
    for (const d of disks) {
      expect(loopDevices()).not.toContain(d.file);
      expect(fs.existsSync(d.file)).toBe(false);
    }
  });
});
