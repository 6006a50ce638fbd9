import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../src-main/core/core';
import type { InstallResult } from '../../src-main/core/deploy/install/contract';
import type { HostStatus } from '../../src-main/core/deploy/types';
import type { FleetEvent, Inventory } from '../../src-main/core/api';
import { ageRecipientOf } from '../../src-main/core/ssh/age-recipient';
import { startInstaller, type Installer, type InstallerDisk } from '../harness/hosts/installer';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

/** The first MiB of a disk image: all zero while nothing was written to it. */
function firstMiB(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(1024 * 1024);
    fs.readSync(fd, buffer, 0, buffer.length, 0);
    return buffer;
  } finally {
    fs.closeSync(fd);
  }
}

/** The last MiB of a disk image (where GPT keeps its backup header). */
function lastMiB(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(1024 * 1024);
    fs.readSync(fd, buffer, 0, buffer.length, fs.fstatSync(fd).size - buffer.length);
    return buffer;
  } finally {
    fs.closeSync(fd);
  }
}

/** Processes whose command line contains `text`. */
function processesMatching(text: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text) && pid !== String(process.pid)) found.push(`${pid} ${cmdline}`);
    } catch {
      // gone
    }
  }
  return found;
}

/**
 * The real `fleet install docker-node --to TO --disk DISK` on a pseudo-terminal (util-linux
 * script), so it asks as it asks a person. The command line is a constant: the values
 * reach it as environment variables.
 */
function fleetInstallOnTerminal(values: { readonly flake: string; readonly to: string; readonly disk: string }, env: NodeJS.ProcessEnv) {
  const child = spawn('script', ['-qfec', 'exec "$FLEET_NODE" "$FLEET_BIN" --flake "$FLEET_FLAKE" install docker-node --to "$FLEET_TO" --disk "$FLEET_DISK"', '/dev/null'], {
    env: { ...env, FLEET_NODE: process.execPath, FLEET_BIN: path.join(repoRoot, 'bin/fleet.js'), FLEET_FLAKE: values.flake, FLEET_TO: values.to, FLEET_DISK: values.disk },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => output,
    /** Wait until the output matches, then type `text` (with Enter unless it is a control key). */
    async answer(when: RegExp, text: string): Promise<void> {
      await expect.poll(() => output, { timeout: 60_000, interval: 100 }).toMatch(when);
      child.stdin.write(text);
    },
    exited,
  };
}

describe('fleet install: docker-node onto the lab installer end to end (real sshd, nix, sgdisk, mkfs, loop disk)', () => {
  let installer: Installer;
  let checkout: string;
  const cores: FleetCore[] = [];
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  /**
   * A core whose confirmations are answered with `confirm`: true types the name asked for,
   * a string types that (host keys are already known from the lab).
   */
  function core(confirm: boolean | string): FleetCore {
    const c = createCore({ host: 'cli', root: checkout, dataDir, env });
    c.subscribe((event) => {
      if (event.type !== 'prompt.request') return;
      const r = event.request;
      // A typed confirmation is answered with the name it asks for.
      const accept = r.kind === 'confirm' && confirm !== false;
      const value = typeof confirm === 'string' ? confirm : r.confirmText;
      setImmediate(() => void c.invoke('prompts.answer', { id: r.id, accept, ...(accept && value !== undefined ? { value } : {}) }).catch(() => undefined));
    });
    cores.push(c);
    return c;
  }

  async function install(c: FleetCore, input: Record<string, unknown>): Promise<{ status: string; error?: { message: string }; result?: InstallResult; events: FleetEvent[] }> {
    const events: FleetEvent[] = [];
    const off = c.subscribe((e) => events.push(e));
    try {
      const { jobId } = (await c.invoke('install.start', input as never)) as { jobId: string };
      const job = await c.context.jobs.wait(jobId);
      return { status: job.status, ...(job.error ? { error: job.error } : {}), ...(job.result ? { result: job.result as InstallResult } : {}), events };
    } finally {
      off();
    }
  }

  beforeAll(async () => {
    installer = await startInstaller({ diskSize: '1g' });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-install-home-'));
    fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    // The address gets the lab's key but not the lab's known_hosts: its host key is only what fleet install records.
    fs.writeFileSync(path.join(home, '.ssh/config'), `Include ${installer.lab.sshConfigPath}\nHost ${installer.host.address}\n  IdentityFile ${installer.lab.identityFile}\n`);
    checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-install-flake-'));
    fs.cpSync(path.join(repoRoot, 'flake'), checkout, { recursive: true });
    // docker-node is deployed where the installer is: by its address, so only the app's known_hosts knows its key.
    fs.writeFileSync(
      path.join(checkout, 'systems/docker-node/meta.json'),
      `${JSON.stringify({ system: 'x86_64-linux', deploy: { host: installer.host.address, user: 'root', tags: ['server'] } }, null, 2)}\n`,
    );
    git(checkout, 'init', '-q', '-b', 'main');
    git(checkout, 'add', '-A');
    git(checkout, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-data-'));
    env = { ...process.env, HOME: home };
  }, 120_000);
  afterAll(async () => {
    for (const c of cores) await c.dispose();
    await installer?.stop();
  });

  it('cancel before disko (the erase not confirmed) leaves the disk untouched', async () => {
    const disk = installer.disks[0]!;
    const outcome = await install(core(false), { system: 'docker-node', to: installer.host.name, disk: disk.device });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain(`Not confirmed: ${disk.device} was not touched.`);
    const asked = outcome.events.flatMap((e) => (e.type === 'prompt.request' ? [e.request] : []));
    expect(asked.map((r) => r.title)).toEqual([`Erase ${disk.device} on ${installer.host.name}?`]);
    expect(firstMiB(disk.file).every((b) => b === 0)).toBe(true);
    expect(fs.existsSync(path.join(checkout, 'systems/docker-node/ssh_host_ed25519_key.pub'))).toBe(false);
    expect(git(checkout, 'status', '--porcelain')).toBe('');
  });

  /** The disk is as the installer got it (zero at both ends, no partitions), nothing is on /mnt, the checkout has no new host key. */
  async function expectMachineUntouched(disk: InstallerDisk): Promise<void> {
    expect(firstMiB(disk.file).every((b) => b === 0)).toBe(true);
    expect(lastMiB(disk.file).every((b) => b === 0)).toBe(true);
    expect(fs.existsSync(`/sys/class/block/${path.basename(disk.loop)}p1`)).toBe(false);
    const mounts = (await installer.host.exec(['cat', '/proc/self/mounts'])).stdout.split('\n');
    // (The machine's own mounts show through the host's namespace, some from this machine's own /dev/vda; the install's are /mnt itself and the disk's partitions.)
    expect(mounts.filter((line) => line.split(' ')[1] === '/mnt' || new RegExp(`^${disk.device}\\d+ `).test(line))).toEqual([]);
    expect(fs.existsSync(path.join(checkout, 'systems/docker-node/ssh_host_ed25519_key.pub'))).toBe(false);
  }

  /** docker-node with a package whose build sleeps `marker` seconds: an install stays in its build stage. */
  function slowBuild(): { readonly marker: string; restore(): void } {
    const marker = `${700 + Math.floor(Math.random() * 600)}.${Date.now() % 100000}`;
    const file = path.join(checkout, 'systems/docker-node/default.nix');
    const before = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(
      file,
      before
        .replace('{ ... }:', '{ lib, pkgs, ... }:')
        .replace(
          'homelab.shell = "bash";',
          `homelab.shell = "bash";\n  environment.systemPackages = [ (lib.build.runCommand { name = "slow-tool-1.0"; inherit (pkgs) system; script = ''\n    phase buildPhase\n    sleep ${marker}\n  ''; }) ];`,
        ),
    );
    return { marker, restore: () => fs.writeFileSync(file, before) };
  }

  it('an answer that does not name the disk is no confirmation: the disk stays untouched', async () => {
    const disk = installer.disks[0]!;
    const outcome = await install(core('yes'), { system: 'docker-node', to: installer.host.name, disk: disk.device });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain(`Not confirmed: the answer did not name ${disk.device}, so ${disk.device} was not touched.`);
    const asked = outcome.events.flatMap((e) => (e.type === 'prompt.request' ? [e.request] : []));
    expect(asked.map((r) => r.confirmText)).toEqual([disk.device]);
    await expectMachineUntouched(disk);
  });

  it('fleet install on a terminal asks to type the disk name, not y/N: "y" erases nothing', async () => {
    const disk = installer.disks[0]!;
    const cli = fleetInstallOnTerminal({ flake: checkout, to: installer.host.name, disk: disk.device }, { ...env, FLEET_DATA_DIR: dataDir });
    await cli.answer(new RegExp(`Type ${disk.device} to confirm: `), 'y\r');
    expect(await cli.exited).not.toBe(0);
    expect(cli.output()).toContain(`Everything on ${disk.device}`);
    expect(cli.output()).toContain(`"y" is not ${disk.device}: not confirmed.`);
    expect(cli.output()).toContain(`Not confirmed: ${disk.device} was not touched.`);
    expect(cli.output()).not.toContain('[y/N]');
    await expectMachineUntouched(disk);
  });

  it('typing the disk name confirms; Ctrl-C in the middle of the build cancels, and the machine and checkout are untouched', async () => {
    const disk = installer.disks[0]!;
    const slow = slowBuild();
    try {
      const cli = fleetInstallOnTerminal({ flake: checkout, to: installer.host.name, disk: disk.device }, { ...env, FLEET_DATA_DIR: dataDir });
      await cli.answer(new RegExp(`Type ${disk.device} to confirm: `), `${disk.device}\r`);
      // The build runs: its slow derivation's sleep exists.
      await expect.poll(() => processesMatching(`sleep ${slow.marker}`).length, { timeout: 120_000, interval: 100 }).toBeGreaterThan(0);
      await cli.answer(/Build the system/, '\x03');
      expect(await cli.exited).not.toBe(0);
      expect(cli.output()).toMatch(/cancel/i);
      expect(processesMatching(`sleep ${slow.marker}`)).toEqual([]);
      await expectMachineUntouched(disk);
    } finally {
      slow.restore();
    }
    expect(git(checkout, 'status', '--porcelain')).toBe('');
  });

  it('cancelling the install job in the middle of the build (jobs.cancel, as the wizard does) leaves the machine and checkout untouched', async () => {
    const disk = installer.disks[0]!;
    const slow = slowBuild();
    try {
      const c = core(true);
      const events: FleetEvent[] = [];
      const off = c.subscribe((e) => events.push(e));
      const { jobId } = (await c.invoke('install.start', { system: 'docker-node', to: installer.host.name, disk: disk.device })) as { jobId: string };
      await expect.poll(() => processesMatching(`sleep ${slow.marker}`).length, { timeout: 120_000, interval: 100 }).toBeGreaterThan(0);
      expect(c.context.jobs.get(jobId)?.progress?.label).toBe('Build the system and its disko script');
      await c.invoke('jobs.cancel', { jobId });
      const job = await c.context.jobs.wait(jobId);
      off();
      expect(job.status).toBe('cancelled');
      expect(job.error?.message ?? '').toContain(`${disk.device} was not touched.`);
      expect(processesMatching(`sleep ${slow.marker}`)).toEqual([]);
      const labels = events.flatMap((e) => (e.type === 'job.progress' && e.progress.label ? [e.progress.label] : []));
      expect(labels).not.toContain('Copy them to the machine');
      expect(labels).not.toContain('Partition, format and mount the disk');
      await expectMachineUntouched(disk);
    } finally {
      slow.restore();
    }
    expect(git(checkout, 'status', '--porcelain')).toBe('');
  });

  it('refuses a disk the installer does not have', async () => {
    const outcome = await install(core(true), { system: 'docker-node', to: installer.host.name, disk: '/dev/vdb', yes: true });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toMatch(/\/dev\/vdb is not a writable disk on installer \(disks: \/dev\/vda 1(\.0)? GiB\)[\s\S]*\/dev\/vdb was not touched/);
    await expectMachineUntouched(installer.disks[0]!);
  });

  it('installs docker-node onto the disk its disko.nix names (/dev/vda): disko partitions and formats it, the host comes back as docker-node on its new key, fleet status is up to date', async () => {
    const disk = installer.disks[0]!;
    expect(disk.device).toBe('/dev/vda');
    const fleet = core(true);
    // What the checkout builds before the install: the install installs exactly that.
    const before = execFileSync('nix', ['--extra-experimental-features', 'nix-command flakes', 'eval', '--raw', `${checkout}#nixosConfigurations.docker-node.config.system.build.toplevel.outPath`], { encoding: 'utf8' }).trim();
    // No --disk: the disk is the one systems/docker-node/disko.nix names.
    const outcome = await install(fleet, { system: 'docker-node', to: installer.host.name, yes: true });
    expect(outcome.error?.message).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    const result = outcome.result!;
    expect(result.disk).toBe(disk.device);
    expect(result.toplevel).toBe(before);
    // Every stage, from the log's "== <stage>" lines (progress events are throttled: a stage of a few ms may be overtaken by the next).
    const labels = outcome.events.flatMap((e) => (e.type === 'job.log' ? e.lines.flatMap((l) => (l.text.startsWith('== ') ? [l.text.slice(3)] : [])) : []));
    for (const stage of ['Read the hardware', 'Confirm the erase', 'Make the new host key', 'Build the system and its disko script', 'Copy them to the machine', 'Partition, format and mount the disk', 'Install into /mnt', 'Reboot', 'Wait for the installed system']) {
      expect(labels).toContain(stage);
    }

    // The disk, read from this machine (its loop device): a GPT with disko's partitions and filesystems.
    const table = execFileSync('sgdisk', ['-p', disk.loop], { encoding: 'utf8' });
    expect(table).toMatch(/1\s+\d+\s+\d+\s+512\.0 MiB\s+EF00\s+disk-main-ESP/);
    expect(table).toMatch(/2\s+\d+\s+\d+\s+[\d.]+ MiB\s+8300\s+disk-main-root/);
    expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', `${disk.loop}p1`], { encoding: 'utf8' }).trim()).toBe('vfat');
    expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', `${disk.loop}p2`], { encoding: 'utf8' }).trim()).toBe('ext4');

    // The host runs the installed system, from the disk's store, with the new host key.
    expect((await installer.host.exec(['hostname'])).stdout.trim()).toBe('docker-node');
    expect((await installer.host.exec(['readlink', '/run/current-system'])).stdout.trim()).toBe(result.toplevel);
    const mounts = (await installer.host.exec(['cat', '/proc/self/mounts'])).stdout;
    expect(mounts).toMatch(new RegExp(`^${disk.device}2 /nix ext4`, 'm'));

    // The system profile and the whole closure are in the disk's store (the host's /nix now).
    expect((await installer.host.exec(['readlink', '/nix/var/nix/profiles/system'])).stdout.trim()).toBe('system-1-link');
    expect((await installer.host.exec(['readlink', '-f', '/nix/var/nix/profiles/system'])).stdout.trim()).toBe(result.toplevel);
    const closureHere = execFileSync('nix-store', ['--query', '--requisites', result.toplevel], { encoding: 'utf8' }).trim().split('\n').sort();
    const closureThere = (await installer.host.exec(['env', 'NIX_REMOTE=', 'nix-store', '--query', '--requisites', result.toplevel])).stdout.trim().split('\n').sort();
    expect(closureThere).toEqual(closureHere);
    const verified = await installer.host.exec(['env', 'NIX_REMOTE=', 'nix-store', '--verify-path', ...closureThere]);
    expect(verified.code, verified.stderr).toBe(0);

    // The ESP: a FAT filesystem on the disk's first partition, mounted at /boot by the kernel,
    // or where the kernel has no vfat by fusefat (the lab installer's named emulation), holding
    // the boot loader entry that the install's switch-to-configuration boot wrote through /mnt/boot.
    expect(mounts).toMatch(new RegExp(`^${disk.device}1 /boot ${installer.vfat === 'kernel' ? 'vfat' : 'fuse\\.vfat'} `, 'm'));
    const entry = (await installer.host.exec(['cat', '/boot/loader/entries/nixos-generation-1.conf'])).stdout;
    expect(entry).toContain(`system ${result.toplevel}`);
    expect(entry).toMatch(/^title NixOS$/m);
    expect((await installer.host.exec(['cat', '/boot/loader/loader.conf'])).stdout.trim()).toBe('default nixos-generation-1.conf');
    // Read by dosfstools, not by the driver that wrote them: the entries are files of that FAT.
    const listing = spawnSync('fsck.fat', ['-n', '-l', `${disk.loop}p1`], { encoding: 'utf8' }).stdout;
    expect(listing).toMatch(/\/loader\/entries\/nixos-generation-1\.conf/i);
    expect(listing).toMatch(/\/loader\/loader\.conf/i);
    const logText = outcome.events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');
    expect(logText).toContain('disko: mounted /boot (vfat)');
    expect(logText).toContain('updating the boot loader (systemd-boot), default generation 1');
    const presented = (await installer.host.exec(['cat', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout.trim();
    expect(presented).toBe(result.hostKey);
    expect(result.hostKey).not.toBe(installer.host.hostPublicKey.trim());
    expect(result.ageRecipient).toBe(ageRecipientOf(presented));
    expect(result.ageRecipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(fs.readFileSync(path.join(checkout, 'systems/docker-node/ssh_host_ed25519_key.pub'), 'utf8').trim()).toBe(result.hostKey);
    // The key file is new in the checkout and not staged: the flake (tracked files only) builds what it built before.
    expect(git(checkout, 'status', '--porcelain')).toBe('?? systems/docker-node/ssh_host_ed25519_key.pub\n');
    expect(fs.readFileSync(path.join(dataDir, 'known_hosts'), 'utf8')).toContain(result.hostKey.split(' ')[1]);
    // ...and the inventory shows it with its age recipient.
    const inventory = (await core(true).invoke('inventory.get', {})) as Inventory;
    expect(inventory.systems.find((sys) => sys.name === 'docker-node')?.hostKey).toEqual({
      file: 'systems/docker-node/ssh_host_ed25519_key.pub',
      publicKey: result.hostKey.split(' ').slice(0, 2).join(' '),
      fingerprint: result.hostKeyFingerprint,
      ageRecipient: result.ageRecipient,
    });

    // fleet status of docker-node (reached by address: only the recorded key vouches for it), no CHANGED error.
    const statuses = (await core(true).invoke('deploy.status', { targets: ['docker-node'], evaluate: true })) as HostStatus[];
    expect(statuses[0]?.error).toBeUndefined();
    expect(statuses[0]).toMatchObject({ online: true, outOfDate: false });
    const errors = outcome.events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).filter((t) => /IDENTIFICATION HAS CHANGED|has CHANGED/.test(t));
    expect(errors).toEqual([]);
  });
});
