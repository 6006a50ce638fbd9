import { spawnSync } from 'node:child_process';
import { rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { LAB_ENTRIES, REGISTRY_DIR, type LabRecord } from './records.js';

/**
 * Last-chance cleanup when a test process exits without stopping its lab (a forgotten
 * afterAll, process.exit in a test). Only synchronous work runs in an 'exit' handler. A killed
 * process cannot run it; the next startHosts or `lab down` removes that lab instead.
 */

function stopLabSync(record: LabRecord): void {
  for (const host of record.hosts) {
    const pids = spawnSync('ip', ['netns', 'pids', host.netns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split('\n').filter((line) => /^\d+$/.test(line))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['link', 'del', host.rootVeth]);
    spawnSync('ip', ['netns', 'del', host.netns]);
  }
  for (const entry of LAB_ENTRIES) rmSync(path.join(record.stateDir, entry), { recursive: true, force: true });
  try {
    rmdirSync(record.stateDir);
  } catch {
    // not empty: something else lives there too
  }
  rmSync(path.join(REGISTRY_DIR, `slot-${record.slot}.json`), { force: true });
}

const pending = new Map<number, LabRecord>();
let hooked = false;

/** Remove this lab when the process exits, unless it was stopped before. */
export function stopOnExit(record: LabRecord): void {
  pending.set(record.slot, record);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const lab of pending.values()) stopLabSync(lab);
  });
}

/** The lab was stopped the normal way: nothing left to do at exit. */
export function stoppedNormally(slot: number): void {
  pending.delete(slot);
}
