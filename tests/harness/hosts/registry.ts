import { link, mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { processStartTime } from '../../../src-main/core/process/identity.js';
import path from 'node:path';
import { MAX_SLOTS, REGISTRY_DIR } from './records.js';

/**
 * Slot claims: one file per live lab in /run/fleet-lab, created exclusively so two labs
 * started at the same moment never share a slot (and so never share addresses or names).
 */
export interface SlotClaim {
  readonly slot: number;
  readonly stateDir: string;
  /** null for a detached lab that outlives the process that started it. */
  readonly ownerPid: number | null;
  readonly ownerStartTime: string | null;
  /** The process that started the lab (for a detached lab: alive only while `lab up` runs). */
  readonly starterPid?: number;
  readonly starterStartTime?: string | null;
}

function claimPath(slot: number): string {
  return path.join(REGISTRY_DIR, `slot-${slot}.json`);
}

/** Whether a claim's owner process still runs (detached labs always count as owned). */
export function ownerAlive(claim: SlotClaim): boolean {
  if (claim.ownerPid === null) return true;
  const started = processStartTime(claim.ownerPid);
  return started !== null && started === claim.ownerStartTime;
}

/** Whether the process that claimed the slot still runs (a lab being started is not stale). */
export function starterAlive(claim: SlotClaim): boolean {
  if (claim.starterPid === undefined) return false;
  const started = processStartTime(claim.starterPid);
  return started !== null && started === claim.starterStartTime;
}

/** Claim the lowest free slot for a lab kept in stateDir. */
export async function claimSlot(stateDir: string, detached: boolean, avoid: ReadonlySet<number>): Promise<SlotClaim> {
  await mkdir(REGISTRY_DIR, { recursive: true });
  const claim = (slot: number): SlotClaim => ({
    slot,
    stateDir,
    ownerPid: detached ? null : process.pid,
    ownerStartTime: detached ? null : processStartTime(process.pid),
    starterPid: process.pid,
    starterStartTime: processStartTime(process.pid),
  });
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    if (avoid.has(slot)) continue;
    const claimed = claim(slot);
    // Written whole, then linked into place: link() fails if the slot is taken, and nobody ever
    // reads a half-written claim.
    const draft = path.join(REGISTRY_DIR, `.draft-${process.pid}-${slot}`);
    await writeFile(draft, JSON.stringify(claimed));
    try {
      await link(draft, claimPath(slot));
      return claimed;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(draft, { force: true });
    }
  }
  throw new Error(`all ${MAX_SLOTS} lab slots are taken; run "npm run lab -- down --all"`);
}

/** Give a slot back. */
export async function releaseSlot(slot: number): Promise<void> {
  await rm(claimPath(slot), { force: true });
}

/** Every registered lab. A claim file that cannot be read (half-written by a crash) counts as stale. */
export async function listClaims(): Promise<readonly SlotClaim[]> {
  let names: string[];
  try {
    names = await readdir(REGISTRY_DIR);
  } catch {
    return [];
  }
  const claims: SlotClaim[] = [];
  for (const name of names) {
    const match = /^slot-(\d+)\.json$/.exec(name);
    if (!match) continue;
    const slot = Number(match[1]);
    try {
      const parsed = JSON.parse(await readFile(path.join(REGISTRY_DIR, name), 'utf8')) as SlotClaim;
      claims.push({ ...parsed, slot });
    } catch {
      // Claims are written whole (see claimSlot): an unreadable one is damaged, hence stale.
      claims.push({ slot, stateDir: '', ownerPid: -1, ownerStartTime: null });
    }
  }
  return claims;
}

/**
 * Run `work` while holding a named lock in the registry directory, so two `lab up` or `lab down`
 * on the same state directory (two shells, two acceptance runs) take turns instead of tearing
 * each other's hosts down. A lock whose holder died is taken over.
 */
export async function withLock<T>(name: string, work: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  await mkdir(REGISTRY_DIR, { recursive: true });
  const file = path.join(REGISTRY_DIR, `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid} ${processStartTime(process.pid) ?? ''}`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const [pid, started] = (await readFile(file, 'utf8').catch(() => '')).split(' ');
      const holderAlive = pid !== undefined && pid !== '' && processStartTime(Number(pid)) === (started ?? '');
      const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (!holderAlive && age > 1000) await rm(file, { force: true });
      else if (Date.now() > deadline) throw new Error(`another lab command holds ${file}`, { cause: error });
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await work();
  } finally {
    await rm(file, { force: true });
  }
}
