import * as fs from 'node:fs';

/**
 * Where ALL of a bench phase's CPU went, including what process accounting cannot see:
 * long-lived processes (the hosts' link relays, power supervisors, sshd listeners,
 * nix-daemons; this process), kernel threads and other people's processes on a shared
 * machine. Read from /proc at the start and the end of the phase: each live process's own
 * CPU plus that of the children it reaped (utime + stime + cutime + cstime). The kernel
 * scales those to the scheduler's exact run time, so a process that runs for 1 ms after an
 * idle stretch counts, while accounting's records and /proc/stat only count whole timer
 * ticks it happened to be running in (here 4 ms; on a machine that idles between short
 * processes they miss most of them). Every process that ended during the phase was reaped by
 * a live one (init reaps orphans), so the sum over live processes is the CPU of every task.
 * What /proc/stat counts beyond it is interrupt and softirq work done while a CPU was idle.
 */

interface ProcSample {
  readonly comm: string;
  /** Own CPU plus reaped children's, in clock ticks (USER_HZ). */
  readonly total: number;
  readonly own: number;
  readonly ppid: number;
  readonly kernelThread: boolean;
  /** Network namespace inode ("net:[N]"), undefined when it cannot be read (kernel threads, gone). */
  readonly netns?: string;
}

/** /proc/stat's first line, in USER_HZ ticks. */
export interface MachineTicks {
  readonly user: number;
  readonly nice: number;
  readonly system: number;
  readonly idle: number;
  readonly iowait: number;
  readonly irq: number;
  readonly softirq: number;
  readonly steal: number;
}

export interface CpuSnapshot {
  readonly at: number;
  readonly machine: MachineTicks;
  /** Keyed by "pid:starttime", so a reused pid is another process. */
  readonly processes: ReadonlyMap<string, ProcSample>;
}

const TICK_MS = 10; // USER_HZ = 100
const PF_KTHREAD = 0x00200000;

function readMachine(): MachineTicks {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { user: f[0] ?? 0, nice: f[1] ?? 0, system: f[2] ?? 0, idle: f[3] ?? 0, iowait: f[4] ?? 0, irq: f[5] ?? 0, softirq: f[6] ?? 0, steal: f[7] ?? 0 };
}

function readProcess(pid: string): [string, ProcSample] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ... starttime (index 19).
    const f = stat.slice(close + 2).split(' ');
    const n = (i: number) => Number(f[i] ?? 0);
    const kernelThread = (n(6) & PF_KTHREAD) !== 0;
    let netns: string | undefined;
    if (!kernelThread) {
      try {
        netns = fs.readlinkSync(`/proc/${pid}/ns/net`);
      } catch {
        netns = undefined;
      }
    }
    const own = n(11) + n(12);
    return [`${pid}:${f[19]}`, { comm, own, total: own + n(13) + n(14), ppid: n(1), kernelThread, ...(netns ? { netns } : {}) }];
  } catch {
    return undefined; // gone between readdir and read
  }
}

/** Every process's CPU and the machine's counters, now. */
export function cpuSnapshot(): CpuSnapshot {
  const processes = new Map<string, ProcSample>();
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const entry = readProcess(pid);
    if (entry) processes.set(entry[0], entry[1]);
  }
  return { at: performance.now(), machine: readMachine(), processes };
}

/**
 * Wait (up to `timeoutMs`) until the hosts' ssh sessions of a phase have ended: a closed
 * connection's sshd still tears down for a moment. Reading the processes while some of them are
 * reaped would count a session twice on a machine whose pids wrap (alive when read, then again
 * in its listener's children time read after it), or lose it.
 */
export async function sessionsEnded(labs: LabProcesses, timeoutMs = 3000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const open = [...cpuSnapshot().processes].some(([key, p]) => p.comm.startsWith('sshd') && p.netns !== undefined && labs.netns.has(p.netns) && !labs.roles.has(Number(key.split(':')[0])));
    if (!open) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The network namespace inode of a named namespace (`ip netns`), as /proc/<pid>/ns/net names it. */
export function netnsId(name: string): string | undefined {
  try {
    return `net:[${fs.statSync(`/run/netns/${name}`).ino}]`;
  } catch {
    return undefined;
  }
}

/** What one phase's CPU went to, in ms. */
export interface CpuLedger {
  readonly wallMs: number;
  /** /proc/stat over the phase (tick-sampled). */
  readonly machine: MachineTicks;
  /** This process alone, and the children it reaped (the loop's sh, nix-copy-closure, ssh; the deploy's local nix). */
  readonly bench: number;
  readonly benchChildren: number;
  /** The lab hosts' processes (in their network namespaces), by command name of the live process that holds the CPU. */
  readonly lab: ReadonlyMap<string, number>;
  readonly kernel: ReadonlyMap<string, number>;
  /** Init (pid 1) with the orphans it reaped. */
  readonly init: number;
  /** Everything else on the machine (other people's work), by command name. */
  readonly others: ReadonlyMap<string, number>;
  /** False when some host's ssh session still ran at the end (its CPU may count twice or not at all). */
  readonly sessionsEnded?: boolean;
}

const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);

/** Kernel threads by family: "kworker/1:2-events" -> "kworker". */
function kernelFamily(comm: string): string {
  return /^(ksoftirqd|kworker|kdamond|rcu|migration|kswapd|jbd2|kcompactd)/.exec(comm)?.[1] ?? 'other';
}

/** The bench's hosts: their network namespaces, and what their long-lived processes are, by pid. */
export interface LabProcesses {
  readonly netns: ReadonlySet<string>;
  /** e.g. holder, sshd listener (with every session it reaped), link relay, power supervisor. */
  readonly roles: ReadonlyMap<number, string>;
}

/**
 * The ledger between two snapshots; `self`: this process's pid. A lab process the roles do not
 * name counts under its command name (a session alive at the end: sshd-session, nix-daemon...).
 */
export function cpuLedger(start: CpuSnapshot, end: CpuSnapshot, labs: LabProcesses, self: number): CpuLedger {
  const machine = Object.fromEntries(Object.entries(end.machine).map(([k, v]) => [k, v - start.machine[k as keyof MachineTicks]])) as unknown as MachineTicks;
  let bench = 0;
  let benchChildren = 0;
  let init = 0;
  const lab = new Map<string, number>();
  const kernel = new Map<string, number>();
  const others = new Map<string, number>();
  const place = (key: string, p: ProcSample, ms: number, ownMs: number) => {
    const pid = Number(key.split(':')[0]);
    if (pid === self) {
      bench += ownMs;
      benchChildren += ms - ownMs;
    } else if (pid === 1) init += ms;
    else if (p.kernelThread) add(kernel, kernelFamily(p.comm), ms);
    else if (p.netns && labs.netns.has(p.netns)) add(lab, labs.roles.get(pid) ?? p.comm, ms);
    else add(others, p.comm, ms);
  };
  for (const [key, p] of end.processes) {
    const before = start.processes.get(key);
    place(key, p, (p.total - (before?.total ?? 0)) * TICK_MS, (p.own - (before?.own ?? 0)) * TICK_MS);
  }
  // A process that was there at the start and ended during the phase: its reaper's children
  // time now holds its whole life, of which the part before the phase is taken off there (its
  // parent at the start, when that is still there: most likely the one that reaped it).
  const startKeyOf = new Map([...start.processes.keys()].map((key) => [key.split(':')[0]!, key]));
  for (const [key, p] of start.processes) {
    if (end.processes.has(key)) continue;
    const parentKey = startKeyOf.get(String(p.ppid));
    const parent = parentKey !== undefined ? end.processes.get(parentKey) : undefined;
    if (parentKey !== undefined && parent) place(parentKey, parent, -p.total * TICK_MS, 0);
    else place(key, p, -p.total * TICK_MS, -p.own * TICK_MS);
  }
  return { wallMs: end.at - start.at, machine, bench, benchChildren, lab, kernel, init, others };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const listed = (m: ReadonlyMap<string, number>, top = 6) =>
  [...m.entries()]
    .filter(([, v]) => Math.abs(v) >= 5)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${k} ${secs(v)}`)
    .join(', ');

/** Busy ticks of /proc/stat, ms (what the bench has always called the machine's CPU). */
export function machineBusyMs(m: MachineTicks): number {
  return (m.user + m.nice + m.system + m.irq + m.softirq) * TICK_MS;
}

/** Two lines: where every process's CPU went, and /proc/stat's split with what no process holds. */
export function describeLedger(l: CpuLedger, indent = '    '): string {
  const labMs = sum(l.lab);
  const processes = l.bench + l.benchChildren + labMs + sum(l.kernel) + l.init + sum(l.others);
  const m = l.machine;
  const busy = machineBusyMs(m);
  return [
    `${indent}CPU by process (exact run time, reaped children included): ${secs(processes)} = this process ${secs(l.bench)} + its children ${secs(l.benchChildren)}` +
      ` + lab hosts ${secs(labMs)} (${listed(l.lab) || 'none'}) + kernel threads ${secs(sum(l.kernel))} (${listed(l.kernel, 4) || 'none'})` +
      ` + init and orphans ${secs(l.init)} + other processes on this machine ${secs(sum(l.others))} (${listed(l.others, 4) || 'none'})`,
    `${indent}/proc/stat (timer ticks): busy ${secs(busy)} = user ${secs((m.user + m.nice) * TICK_MS)}, system ${secs(m.system * TICK_MS)}, softirq ${secs(m.softirq * TICK_MS)}, irq ${secs(m.irq * TICK_MS)}` +
      `; idle ${secs(m.idle * TICK_MS)}, iowait ${secs(m.iowait * TICK_MS)}; busy minus every process: ${secs(busy - processes)} (interrupts while idle, tick sampling)` +
      `; over ${secs(l.wallMs)}${l.sessionsEnded === false ? ' (some host session still ran at the end)' : ''}`,
  ].join('\n');
}
