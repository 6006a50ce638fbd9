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

  it('writes facter.json in nixos-facter\'s shape; the system built with it loads the machine\'s drivers in its initrd', async () => {
    const stale = await core.invoke('install.writeHardware', { system: 'docker-node', to: installer.host.name, format: 'facter.json', expectSha256: '0'.repeat(64) }).catch((e: unknown) => e);
    expect((stale as FleetError).code).toBe('conflict');
    expect(fs.existsSync(path.join(checkout, 'systems/docker-node/facter.json'))).toBe(false);

    const written = (await core.invoke('install.writeHardware', { system: 'docker-node', to: installer.host.name, format: 'facter.json' })) as HardwareFileResult;
    expect(written).toMatchObject({ file: 'systems/docker-node/facter.json', written: true, imported: false });
    expect(written.hint).toContain('hardware.facter.reportPath = ./facter.json;');
    const facts = (await core.invoke('install.hardware', { to: installer.host.name })) as HardwareFacts;
    const report = JSON.parse(fs.readFileSync(path.join(checkout, written.file), 'utf8')) as { version: number; system: string; hardware: Record<string, { driver_module?: string; unix_device_names?: string[] }[]> };
    expect(report).toMatchObject({ version: 1, system: 'x86_64-linux' });
    expect(report.hardware.disk?.map((d) => d.unix_device_names?.[0])).toEqual(facts.disks.map((d) => d.device));
    expect(report.hardware.pci?.map((d) => d.driver_module)).toEqual(facts.drivers);
    expect(git(checkout, 'diff', '--cached', '--name-only')).toContain(written.file);

    // Used as the hint says, the real evaluation takes the drivers from it.
    const defaultNix = path.join(checkout, 'systems/docker-node/default.nix');
    const before = fs.readFileSync(defaultNix, 'utf8');
    fs.writeFileSync(defaultNix, before.replace('homelab.shell = "bash";', 'homelab.shell = "bash";\n  hardware.facter.reportPath = ./facter.json;'));
    try {
      const modules = JSON.parse(
        execFileSync('nix', ['--extra-experimental-features', 'nix-command flakes', 'eval', '--json', `${checkout}#nixosConfigurations.docker-node.config.boot.initrd.availableKernelModules`], { encoding: 'utf8' }),
      ) as string[];
      expect(facts.drivers.length).toBeGreaterThan(0);
      expect(modules).toEqual(expect.arrayContaining([...facts.drivers, 'virtio_pci', 'virtio_blk']));
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
