import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/**
 * A running process as other processes can check it: machine, pid and the kernel's start
 * time of that pid. A pid alone is not enough: after the owner dies the number is reused,
 * and a lock would then look held forever.
 */
export interface ProcessIdentity {
  readonly machine: string;
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot); absent where /proc is missing. */
  readonly startTime?: string;
}

/** Start time of a process (field 22 of /proc/PID/stat), or null when there is no such process. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; the fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return pidExists(pid) ? '' : null;
  }
}

/** Whether a pid exists, for systems without /proc (macOS): no start time to compare there. */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let self: ProcessIdentity | undefined;

/** This process. */
export function thisProcess(): ProcessIdentity {
  if (!self) {
    const startTime = processStartTime(process.pid);
    self = { machine: os.hostname(), pid: process.pid, ...(startTime ? { startTime } : {}) };
  }
  return self;
}

/**
 * Is the process still running? 'alive' or 'gone' for a process of this machine; 'unknown'
 * for one of another machine (its pids mean nothing here). A record without a start time
 * (written where /proc was missing) counts as alive while its pid exists.
 */
export function processState(owner: Partial<ProcessIdentity>): 'alive' | 'gone' | 'unknown' {
  if (owner.machine !== os.hostname() || typeof owner.pid !== 'number' || !Number.isInteger(owner.pid) || owner.pid <= 0) return 'unknown';
  const started = processStartTime(owner.pid);
  if (started === null) return 'gone';
  if (owner.startTime && started && started !== owner.startTime) return 'gone';
  return 'alive';
}

/** Is this identity the current process? */
export function isThisProcess(owner: Partial<ProcessIdentity>): boolean {
  const me = thisProcess();
  return owner.machine === me.machine && owner.pid === me.pid && (owner.startTime ?? '') === (me.startTime ?? '');
}
