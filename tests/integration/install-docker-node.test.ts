import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../src-main/core/core';
import type { InstallResult } from '../../src-main/core/deploy/install/contract';
import type { HostStatus } from '../../src-main/core/deploy/types';
import type { FleetEvent } from '../../src-main/core/api';
import { ageRecipientOf } from '../../src-main/core/deploy/install/age-recipient';
import { startInstaller, type Installer } from '../harness/hosts/installer';

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

describe('fleet install: docker-node onto the lab installer end to end (real sshd, nix, sgdisk, mkfs, loop disk)', () => {
  let installer: Installer;
  let checkout: string;
  const cores: FleetCore[] = [];
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  /** A core whose confirmations are answered with `confirm` (host keys are already known from the lab). */
  function core(confirm: boolean): FleetCore {
    const c = createCore({ host: 'cli', root: checkout, dataDir, env });
    c.subscribe((event) => {
      if (event.type !== 'prompt.request') return;
      const r = event.request;
      setImmediate(() => void c.invoke('prompts.answer', { id: r.id, accept: r.kind === 'confirm' ? confirm : false }).catch(() => undefined));
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
    expect(outcome.error?.message).toMatch(/Not confirmed: \/dev\/loop\d+ was not touched/);
    const asked = outcome.events.flatMap((e) => (e.type === 'prompt.request' ? [e.request] : []));
    expect(asked.map((r) => r.title)).toEqual([`Erase ${disk.device} on ${installer.host.name}?`]);
    expect(firstMiB(disk.file).every((b) => b === 0)).toBe(true);
    expect(fs.existsSync(path.join(checkout, 'systems/docker-node/ssh_host_ed25519_key.pub'))).toBe(false);
    expect(git(checkout, 'status', '--porcelain')).toBe('');
  });

  it('refuses a disk the installer does not have (the machine disk disko.nix names)', async () => {
    const outcome = await install(core(true), { system: 'docker-node', to: installer.host.name, yes: true });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toMatch(/\/dev\/vda is not a writable disk on installer[\s\S]*\/dev\/vda was not touched/);
  });

  it('installs docker-node: disko partitions and formats the disk, the host comes back as docker-node on its new key, fleet status is up to date', async () => {
    const disk = installer.disks[0]!;
    const fleet = core(true);
    const outcome = await install(fleet, { system: 'docker-node', to: installer.host.name, disk: disk.device, yes: true });
    expect(outcome.error?.message).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    const result = outcome.result!;
    const labels = outcome.events.flatMap((e) => (e.type === 'job.progress' && e.progress.label ? [e.progress.label] : []));
    for (const stage of ['Read the hardware', 'Confirm the erase', 'Make the new host key', 'Build the system and its disko script', 'Copy them to the machine', 'Partition, format and mount the disk', 'Install into /mnt', 'Reboot', 'Wait for the installed system']) {
      expect(labels).toContain(stage);
    }

    // The disk, read from the machine itself: a GPT with disko's partitions and filesystems.
    const table = execFileSync('sgdisk', ['-p', disk.device], { encoding: 'utf8' });
    expect(table).toMatch(/1\s+\d+\s+\d+\s+512\.0 MiB\s+EF00\s+disk-main-ESP/);
    expect(table).toMatch(/2\s+\d+\s+\d+\s+[\d.]+ MiB\s+8300\s+disk-main-root/);
    expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', `${disk.device}p1`], { encoding: 'utf8' }).trim()).toBe('vfat');
    expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', `${disk.device}p2`], { encoding: 'utf8' }).trim()).toBe('ext4');

    // The host runs the installed system, from the disk's store, with the new host key.
    expect((await installer.host.exec(['hostname'])).stdout.trim()).toBe('docker-node');
    expect((await installer.host.exec(['readlink', '/run/current-system'])).stdout.trim()).toBe(result.toplevel);
    const mounts = (await installer.host.exec(['cat', '/proc/self/mounts'])).stdout;
    expect(mounts).toMatch(new RegExp(`^${disk.device}p2 /nix ext4`, 'm'));
    const presented = (await installer.host.exec(['cat', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout.trim();
    expect(presented).toBe(result.hostKey);
    expect(result.hostKey).not.toBe(installer.host.hostPublicKey.trim());
    expect(result.ageRecipient).toBe(ageRecipientOf(presented));
    expect(result.ageRecipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(fs.readFileSync(path.join(checkout, 'systems/docker-node/ssh_host_ed25519_key.pub'), 'utf8').trim()).toBe(result.hostKey);
    expect(git(checkout, 'diff', '--cached', '--name-only')).toContain('systems/docker-node/ssh_host_ed25519_key.pub');
    expect(fs.readFileSync(path.join(dataDir, 'known_hosts'), 'utf8')).toContain(result.hostKey.split(' ')[1]);

    // fleet status of docker-node (reached by address: only the recorded key vouches for it), no CHANGED error.
    const statuses = (await core(true).invoke('deploy.status', { targets: ['docker-node'], evaluate: true })) as HostStatus[];
    expect(statuses[0]?.error).toBeUndefined();
    expect(statuses[0]).toMatchObject({ online: true, outOfDate: false });
    const errors = outcome.events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).filter((t) => /IDENTIFICATION HAS CHANGED|has CHANGED/.test(t));
    expect(errors).toEqual([]);
  });
});
