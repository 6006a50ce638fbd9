import { access, readdir, readFile, readlink, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { HOST_DIR_TAG, removeNetns } from './host.js';
import { ADDRESS_BLOCK, LAB_ENTRIES, slotOfNetns, slotOfVeth } from './records.js';
import { listClaims, ownerAlive, releaseSlot, starterAlive, withLock, type SlotClaim } from './registry.js';
import { run } from './run.js';

/**
 * Finding and removing what a lab left behind: its namespaces (with every process inside),
 * its veths, its state directory and its slot claim. Used by stopLab, by `lab down`, and at
 * every start to clear what a crashed test process left.
 */

/** Harness network namespaces that exist right now. */
export async function harnessNetns(): Promise<readonly string[]> {
  const result = await run('ip', ['netns', 'list']);
  return result.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => slotOfNetns(name) !== null);
}

/** Harness veths in the root namespace that exist right now. */
export async function harnessVeths(): Promise<readonly string[]> {
  const result = await run('ip', ['-o', 'link', 'show']);
  return result.stdout
    .split('\n')
    .map((line) => (line.split(': ')[1] ?? '').split('@')[0] ?? '')
    .filter((name) => slotOfVeth(name) !== null);
}

/** Slots whose addresses or names are in use on this machine, claimed or not. */
export async function slotsInUse(): Promise<ReadonlySet<number>> {
  const used = new Set<number>();
  for (const netns of await harnessNetns()) used.add(slotOfNetns(netns) ?? -1);
  for (const veth of await harnessVeths()) used.add(slotOfVeth(veth) ?? -1);
  const addresses = await run('ip', ['-o', '-4', 'addr', 'show']);
  const pattern = new RegExp(`inet ${ADDRESS_BLOCK.replace('.', '\\.')}\\.(\\d+)\\.`, 'g');
  for (const match of addresses.stdout.matchAll(pattern)) used.add(Number(match[1]));
  return used;
}

/** Whether a directory is a lab's state directory (so removing it can never hit anything else). */
export async function isLabStateDir(dir: string): Promise<boolean> {
  if (dir === '' || dir === '/') return false;
  return access(path.join(dir, 'lab.json')).then(
    () => true,
    () => access(path.join(dir, 'hosts')).then(() => true, () => false),
  );
}

/** Remove a lab's files from its state directory, and the directory when nothing else is in it. */
export async function removeLabFiles(stateDir: string): Promise<void> {
  for (const entry of LAB_ENTRIES) await rm(path.join(stateDir, entry), { recursive: true, force: true });
  await rmdir(stateDir).catch(() => undefined);
}

/** Remove everything of lab `slot`: namespaces and processes, veths, state directory, claim. */
export async function removeLab(slot: number, stateDir: string | null): Promise<void> {
  const namespaces = (await harnessNetns()).filter((netns) => slotOfNetns(netns) === slot);
  await Promise.all(namespaces.map((netns) => removeNetns(netns)));
  for (const veth of (await harnessVeths()).filter((name) => slotOfVeth(name) === slot)) {
    await run('ip', ['link', 'del', veth]);
  }
  if (stateDir && (await isLabStateDir(stateDir))) {
    await detachLabDisks(stateDir);
    await removeLabFiles(stateDir);
  }
  await releaseSlot(slot);
}

/**
 * Whether a claim belongs to a running lab. A test lab lives while its owner process does. A
 * detached lab (`lab up`) lives while its state directory still names this slot, or while
 * the process starting it runs.
 */
async function claimLive(claim: SlotClaim): Promise<boolean> {
  if (claim.ownerPid !== null) return ownerAlive(claim);
  const record = await readFile(path.join(claim.stateDir, 'lab.json'), 'utf8').then(
    (text) => JSON.parse(text) as { slot?: number },
    () => null,
  );
  if (record?.slot === claim.slot) return true;
  return starterAlive(claim);
}

/**
 * Remove labs whose owner process died, and harness namespaces or veths no live lab claims.
 * Returns the slots cleared. Under the lock labs claim their slot with (startHosts): what is
 * live is read once at the start, and a lab claimed after that read (another test file
 * starting at the same moment) would have its namespaces and its hosts' sshd taken for a dead
 * lab's and killed (seen in CI: "Connection to 10.233.2.2 closed by remote host" in the middle
 * of a copy, right after another file's lab started).
 */
export function reapStaleLabs(): Promise<readonly number[]> {
  return withLock('leak-guard', reapUnlocked);
}

async function reapUnlocked(): Promise<readonly number[]> {
  const claims = await listClaims();
  const namespaces = await harnessNetns();
  const live = new Set<number>();
  for (const claim of claims) {
    if (await claimLive(claim)) live.add(claim.slot);
  }
  const reaped = new Set<number>();
  for (const claim of claims) {
    if (live.has(claim.slot)) continue;
    await removeLab(claim.slot, claim.stateDir);
    reaped.add(claim.slot);
  }
  for (const netns of namespaces) {
    const slot = slotOfNetns(netns) ?? -1;
    if (live.has(slot)) continue;
    await removeNetns(netns);
    reaped.add(slot);
  }
  for (const veth of await harnessVeths()) {
    const slot = slotOfVeth(veth) ?? -1;
    if (live.has(slot)) continue;
    await run('ip', ['link', 'del', veth]);
    reaped.add(slot);
  }
  const liveDirs = new Set(claims.filter((claim) => live.has(claim.slot)).map((claim) => claim.stateDir));
  await reapOrphanProcesses(liveDirs);
  return [...reaped];
}

const GUARD_ROUTE = `${ADDRESS_BLOCK}.0.0/16`;

/**
 * Route the whole lab block to "unreachable" in the root namespace. Each host's /30 is more
 * specific and wins while its link is up; when a link is down (a cut, a teardown) packets for
 * it are refused here instead of following the default route off this machine.
 */
export async function ensureLeakGuard(): Promise<void> {
  await run('ip', ['route', 'replace', 'unreachable', GUARD_ROUTE]);
}

/**
 * Remove the guard route once no lab is left. startHosts claims its slot and adds the route
 * under the same lock, so a lab starting in another process (two test files at once) never
 * runs without it.
 */
export async function dropLeakGuardIfUnused(): Promise<void> {
  await withLock('leak-guard', async () => {
    if ((await listClaims()).length === 0 && (await harnessNetns()).length === 0) {
      await run('ip', ['route', 'del', 'unreachable', GUARD_ROUTE]);
    }
  });
}

/**
 * Kill host processes that outlived their namespace's name (a crash between `ip netns del` and
 * the kill, or a namespace deleted by hand): every process sharing a network namespace with a
 * process tagged with a host directory that no live lab owns.
 */
export async function reapOrphanProcesses(liveStateDirs: ReadonlySet<string>): Promise<number> {
  const rootNet = await readlink('/proc/self/ns/net');
  const netOf = new Map<number, string>();
  const orphanNets = new Set<string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const net = await readlink(`/proc/${pid}/ns/net`).catch(() => null);
    if (net === null || net === rootNet) continue;
    netOf.set(pid, net);
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    const tag = environ.split('\0').find((line) => line.startsWith(`${HOST_DIR_TAG}=`));
    if (!tag) continue;
    const stateDir = path.dirname(path.dirname(tag.slice(HOST_DIR_TAG.length + 1)));
    if (!liveStateDirs.has(stateDir)) orphanNets.add(net);
  }
  let killed = 0;
  for (const [pid, net] of netOf) {
    if (!orphanNets.has(net)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}

/**
 * Detach every loop device whose backing file lies under `stateDir` (a lab's own disks),
 * for labs removed after their owner died. Touches no other loop device.
 */
export async function detachLabDisks(stateDir: string): Promise<void> {
  if (!stateDir.startsWith('/tmp/')) return;
  const listing = await run('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE']);
  for (const line of listing.stdout.split('\n')) {
    const [device, file] = line.trim().split(/\s+/, 2);
    if (device && file && /^\/dev\/loop\d+$/.test(device) && file.startsWith(`${stateDir}/hosts/`)) await run('losetup', ['--detach', device]);
  }
}
