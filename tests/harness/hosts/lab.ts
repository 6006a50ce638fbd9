import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dropLeakGuardIfUnused, ensureLeakGuard, removeLab, removeLabFiles, reapStaleLabs, slotsInUse, isLabStateDir } from './cleanup.js';
import { writeClientFiles } from './client-files.js';
import { stopOnExit, stoppedNormally } from './exit-cleanup.js';
import { startHost, stopHost } from './host.js';
import { createHostLayout, freeUid, hashPassword } from './layout.js';
import { labHostOf, type LabHost } from './lab-host.js';
import { startPowerSupervisor } from './power.js';
import { labHostNames } from './names.js';
import { addressesOf, assertHostName, MAX_HOSTS_PER_LAB, type HostRecord, type LabRecord } from './records.js';
import { claimSlot, listClaims, ownerAlive, withLock } from './registry.js';
import { runOk } from './run.js';
import { readManifest, toolchainPaths, type Suite } from '../toolchain/index.js';

/** How to start a lab. */
export interface StartHostsOptions {
  /** Number of hosts, named after flake/'s systems then host-05, host-06, ... (default 2). */
  readonly count?: number;
  /** Exact host names instead of `count` (lowercase letters, digits, dashes). */
  readonly names?: readonly string[];
  /** Directory for all lab state (default: a fresh /tmp/fleet-lab-test-XXXXXX). Replaced if it holds a dead lab. */
  readonly stateDir?: string;
  /** Keep running after this process exits (what `lab up` does). Default false: a crashed owner's lab is removed by the next start. */
  readonly detached?: boolean;
  /** The deploy user's sudo asks for this password. Default: passwordless sudo. */
  readonly sudoPassword?: string;
  /** Name of the non-root sudo user on every host (default "deploy"). */
  readonly deployUser?: string;
  /** Put every host's /nix on a tmpfs of this size (e.g. "64m") instead of its state directory. */
  readonly storeSize?: string;
  /** Homelab checkout whose systems name the hosts (default: this repository's flake/). */
  readonly flakeDir?: string;
  /**
   * Run every host's sshd, nix-daemon and ssh sessions (nix-store --serve, nix-env,
   * activation) from this toolchain, made first with `npm run lab -- toolchain up <suite>`.
   */
  readonly toolchain?: Suite;
}

/** A running lab: its hosts and the client files that reach them. */
export interface Lab {
  readonly slot: number;
  readonly stateDir: string;
  readonly hosts: readonly LabHost[];
  /** ssh_config fragment: a Host block per host (HostName, User root, IdentityFile, UserKnownHostsFile). */
  readonly sshConfigPath: string;
  /** known_hosts with every host's key, keyed by alias and address. */
  readonly knownHostsPath: string;
  /** Private key authorized for root and the deploy user on every host. */
  readonly identityFile: string;
  readonly deployUser: string;
  readonly record: LabRecord;
  /** The host with this name; throws when there is none. */
  host(name: string): LabHost;
  /** Rewrite ssh_config and known_hosts with the hosts' current keys (e.g. after changeHostKey). */
  writeClientFiles(): Promise<void>;
  /** Stop every host and remove all lab state. */
  stop(): Promise<void>;
}

const LAB_FILE = 'lab.json';

async function labOf(record: LabRecord): Promise<Lab> {
  const hosts = await Promise.all(record.hosts.map((host) => labHostOf(host, record)));
  return {
    slot: record.slot,
    stateDir: record.stateDir,
    hosts,
    sshConfigPath: record.sshConfigPath,
    knownHostsPath: record.knownHostsPath,
    identityFile: record.identityFile,
    deployUser: record.deployUser,
    record,
    host(name: string): LabHost {
      const found = hosts.find((host) => host.name === name);
      if (!found) throw new Error(`no host "${name}" in the lab (hosts: ${hosts.map((h) => h.name).join(', ')})`);
      return found;
    },
    writeClientFiles: () => writeClientFiles(record),
    stop: () => stopLab(record),
  };
}

/** Read a lab's record from its state directory, or null when there is no lab there. */
export async function readLabRecord(stateDir: string): Promise<LabRecord | null> {
  const text = await readFile(path.join(stateDir, LAB_FILE), 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as LabRecord);
}

/** Open a running lab from another process (e.g. `lab cut zephyrus` after `lab up`). */
export async function openLab(stateDir: string): Promise<Lab> {
  const record = await readLabRecord(path.resolve(stateDir));
  if (!record) throw new Error(`no lab in ${stateDir}; start one with: npm run lab -- up`);
  return labOf(record);
}

/** Start a lab of test hosts in parallel and write its ssh_config and known_hosts. */
export async function startHosts(options: StartHostsOptions = {}): Promise<Lab> {
  await reapStaleLabs();
  const names = options.names ?? (await labHostNames(options.count ?? 2, options.flakeDir));
  names.forEach(assertHostName);
  if (new Set(names).size !== names.length) throw new Error(`host names repeat: ${names.join(', ')}`);
  if (names.length === 0 || names.length > MAX_HOSTS_PER_LAB) throw new Error(`a lab has 1 to ${MAX_HOSTS_PER_LAB} hosts`);

  const toolchain = options.toolchain ? await builtToolchain(options.toolchain) : undefined;
  const stateDir = path.resolve(options.stateDir ?? (await mkdtemp('/tmp/fleet-lab-test-')));
  // The path ends up in mount options and ssh_config lines.
  if (!/^[A-Za-z0-9/._-]+$/.test(stateDir)) throw new Error(`lab state directory "${stateDir}" may only hold letters, digits and / . _ -`);
  if (options.stateDir) await clearStateDir(stateDir);
  // With the guard route under one lock: a lab stopping in another process at this moment
  // drops the route only when no lab is claimed (dropLeakGuardIfUnused), and a reap in another
  // process (reapStaleLabs, same lock) sees this claim before it looks for leftovers.
  const claim = await withLock('leak-guard', async () => {
    const claimed = await claimSlot(stateDir, options.detached ?? false, await slotsInUse());
    await ensureLeakGuard();
    return claimed;
  });
  const started: HostRecord[] = [];
  try {
    await mkdir(path.join(stateDir, 'hosts'), { recursive: true });
    const identityFile = path.join(stateDir, 'id_ed25519');
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-lab test key', '-f', identityFile]);
    const authorizedKey = await readFile(`${identityFile}.pub`, 'utf8');
    const deployUser = options.deployUser ?? 'deploy';
    assertHostName(deployUser);
    const deployUid = await freeUid();
    const sudoPasswordHash = options.sudoPassword === undefined ? null : await hashPassword(options.sudoPassword);

    await Promise.all(
      names.map(async (name, index) => {
        const dir = path.join(stateDir, 'hosts', name);
        const { address } = addressesOf(claim.slot, index);
        await createHostLayout({ dir, name, address, authorizedKey, deployUser, deployUid, sudoPasswordHash, toolchain: toolchain !== undefined });
        const host = await startHost({ slot: claim.slot, index, name, dir, storeSize: options.storeSize, ...(toolchain ? { toolchain } : {}) });
        started.push(host);
        await startPowerSupervisor(host);
      }),
    );
    started.sort((a, b) => a.index - b.index);
    const record: LabRecord = {
      version: 1,
      slot: claim.slot,
      stateDir,
      ownerPid: claim.ownerPid,
      ownerStartTime: claim.ownerStartTime,
      identityFile,
      sshConfigPath: path.join(stateDir, 'ssh_config'),
      knownHostsPath: path.join(stateDir, 'known_hosts'),
      deployUser,
      deployUid,
      sudoNeedsPassword: sudoPasswordHash !== null,
      hosts: started,
    };
    await writeFile(path.join(stateDir, LAB_FILE), `${JSON.stringify(record, null, 2)}\n`);
    await writeClientFiles(record);
    if (record.ownerPid !== null) stopOnExit(record);
    return await labOf(record);
  } catch (error) {
    await Promise.all(started.map((host) => stopHost(host).catch(() => undefined)));
    await removeLab(claim.slot, stateDir);
    await dropLeakGuardIfUnused();
    throw error;
  }
}

/** The root filesystem of a complete toolchain; says how to make it when it is not. */
async function builtToolchain(suite: Suite): Promise<{ readonly suite: Suite; readonly rootfs: string }> {
  const paths = toolchainPaths(suite);
  if (!(await readManifest(paths.manifest))) throw new Error(`the ${suite} toolchain is not built; make it with: npm run lab -- toolchain up ${suite}`);
  return { suite, rootfs: paths.rootfs };
}

/** A given state directory is reused: stop a live lab's hosts first only when its owner is gone. */
async function clearStateDir(stateDir: string): Promise<void> {
  const record = await readLabRecord(stateDir);
  if (record) {
    const claim = (await listClaims()).find((c) => c.slot === record.slot && c.stateDir === stateDir);
    if (claim && ownerAlive(claim) && claim.ownerPid !== null) {
      throw new Error(`a lab owned by process ${claim.ownerPid} is running in ${stateDir}`);
    }
    await stopLab(record);
  } else if (await isLabStateDir(stateDir)) {
    await removeLabFiles(stateDir);
  }
}

/** Stop every host of a lab and remove its namespaces, veths, processes, state directory and slot. */
export async function stopLab(lab: LabRecord | Lab): Promise<void> {
  const record = 'record' in lab ? lab.record : lab;
  stoppedNormally(record.slot);
  await Promise.all(record.hosts.map((host) => stopHost(host).catch(() => undefined)));
  await removeLab(record.slot, record.stateDir);
  await dropLeakGuardIfUnused();
}
