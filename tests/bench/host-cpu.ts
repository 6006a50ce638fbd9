import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where the CPU of a bench phase goes, from Linux process accounting (Debian `acct`:
 * `accton` starts it, `dump-acct` reads it): every process that ends during the phase, with
 * its own user+system time (10 ms resolution), pid and parent. A process belongs to the
 * deployer when its parent chain reaches this process, to the lab hosts when it reaches a
 * host's sshd, holder or link relay, and is "re-parented" when its chain ends at init
 * (a detached activation runner whose starter exited first). Long-lived lab processes that
 * outlive the phase (the hosts' link relays) are read from /proc instead.
 */

export interface AcctRecord {
  readonly comm: string;
  readonly cpuMs: number;
  readonly pid: number;
  readonly ppid: number;
}

export interface HostCpu {
  /** Host-side CPU by class, ms: sshd, nix (nix-store import, nix-env), activation (switch-to-configuration and below), other (sh, sleep, readlink...). */
  readonly byClass: Readonly<Record<HostClass, number>>;
  /** Processes started on the hosts, by command name (the ten most frequent). */
  readonly counts: readonly (readonly [string, number])[];
  /** The deployer's own children by command: how many, CPU in ms (tick-rounded by acct). */
  readonly deployerChildren: readonly (readonly [string, number, number])[];
  readonly processes: number;
  /** CPU of processes whose parent chain ended at init (detached, starter gone): most likely host-side. */
  readonly reparentedMs: number;
  /** CPU of the deployer's descendants as accounting saw them (nix, ssh, sh of the loops). */
  readonly deployerChildrenMs: number;
}

export type HostClass = 'sshd' | 'nix' | 'activation' | 'relay' | 'other';

/** Is process accounting available (Debian package acct)? */
export function accountingAvailable(): boolean {
  return spawnSync('accton', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('dump-acct', ['--help'], { stdio: 'ignore' }).error === undefined;
}

/** Install Debian's acct when it is missing (the bench's own set-up; needs root and apt). */
export function ensureAccounting(): boolean {
  if (accountingAvailable()) return true;
  if (process.getuid?.() !== 0) return false;
  const installed = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'acct'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return installed.status === 0 && accountingAvailable();
}

/** Process accounting over one phase: start() before, stop() after. */
export class Accounting {
  private readonly file: string;

  private constructor(dir: string) {
    this.file = path.join(dir, 'pacct');
  }

  static start(): Accounting {
    const acct = new Accounting(fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-acct-')));
    fs.writeFileSync(acct.file, '');
    const on = spawnSync('accton', [acct.file], { encoding: 'utf8' });
    if (on.status !== 0) throw new Error(`accton failed: ${on.stderr}`);
    return acct;
  }

  /** Stop accounting and read what it recorded. */
  stop(): AcctRecord[] {
    spawnSync('accton', ['off'], { stdio: 'ignore' });
    const dump = spawnSync('dump-acct', [this.file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    fs.rmSync(path.dirname(this.file), { recursive: true, force: true });
    return parseDumpAcct(dump.stdout);
  }
}

/** dump-acct lines: comm|v3|utime|stime|etime|uid|gid|mem|io|pid|ppid|... with times in 1/100 s. */
export function parseDumpAcct(text: string): AcctRecord[] {
  const out: AcctRecord[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('|').map((s) => s.trim());
    if (f.length < 11 || f[1] !== 'v3') continue;
    out.push({ comm: f[0]!, cpuMs: (Number(f[2]) + Number(f[3])) * 10, pid: Number(f[9]), ppid: Number(f[10]) });
  }
  return out;
}

/** Parent of a live process, from /proc (for chains through processes still running). */
function liveParent(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Command name of a live process, or undefined. */
export function processName(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** CPU (user + system) of a live process in ms, or 0. */
export function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return ((f[11] ?? 0) + (f[12] ?? 0)) * 10;
  } catch {
    return 0;
  }
}

/**
 * Split the records of a phase: the deployer's descendants (`self`), the lab hosts' processes
 * (chains reaching `labRoots`: sshd masters, holders, relays) by class, and the re-parented ones.
 */
export function hostCpuOf(records: readonly AcctRecord[], self: number, labRoots: ReadonlySet<number>): HostCpu {
  const parentOf = new Map<number, number>();
  // A pid can be reused within a phase; the latest record wins, which is good enough for chains.
  for (const r of records) parentOf.set(r.pid, r.ppid);
  const commOf = new Map(records.map((r) => [r.pid, r.comm]));
  const owner = (pid: number): { side: 'self' | 'lab' | 'init' | 'other'; activation: boolean } => {
    let activation = false;
    let p: number | undefined = pid;
    for (let hops = 0; p !== undefined && hops < 64; hops++) {
      if (p === self) return { side: 'self', activation };
      if (labRoots.has(p)) return { side: 'lab', activation };
      if (p === 1) return { side: 'init', activation };
      if (commOf.get(p)?.startsWith('switch-to-conf')) activation = true;
      p = parentOf.get(p) ?? liveParent(p);
    }
    return { side: 'other', activation };
  };
  const byClass: Record<HostClass, number> = { sshd: 0, nix: 0, activation: 0, relay: 0, other: 0 };
  const counts = new Map<string, number>();
  const selfCounts = new Map<string, [number, number]>();
  let processes = 0;
  let reparentedMs = 0;
  let deployerChildrenMs = 0;
  for (const r of records) {
    const { side, activation } = owner(r.pid);
    if (side === 'self') {
      deployerChildrenMs += r.cpuMs;
      const [n, ms] = selfCounts.get(r.comm) ?? [0, 0];
      selfCounts.set(r.comm, [n + 1, ms + r.cpuMs]);
    }
    if (side === 'init' && r.ppid === 1 && !r.comm.startsWith('sshd')) reparentedMs += r.cpuMs;
    // Only chains that reach a lab host count: the deploy's activation runner is a child of its
    // script and the loops' of their ssh session, so nothing of ours is lost to init but the
    // re-parented processes printed apart (other labs' activations on a shared machine are).
    const isLab = side === 'lab';
    if (!isLab) continue;
    processes++;
    counts.set(r.comm, (counts.get(r.comm) ?? 0) + 1);
    const cls: HostClass = r.comm.startsWith('sshd') ? 'sshd' : /^nix(-store|-env|-daemon)?$/.test(r.comm) ? 'nix' : activation || r.comm.startsWith('switch-to-conf') ? 'activation' : r.comm === 'node' ? 'relay' : 'other';
    byClass[cls] += r.cpuMs;
  }
  return { byClass, counts: [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.FLEET_BENCH_COUNTS ?? 10)), processes, reparentedMs, deployerChildrenMs, deployerChildren: [...selfCounts.entries()].map(([c, [n, ms]]) => [c, n, ms] as const).sort((a, b) => b[2] - a[2]) };
}

/** "sshd 1.20 s, nix 0.30 s, ..." */
export function describeHostCpu(cpu: HostCpu): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const total = Object.values(cpu.byClass).reduce((a, b) => a + b, 0);
  return (
    `host side ${s(total)}: sshd ${s(cpu.byClass.sshd)}, nix-store/nix-env ${s(cpu.byClass.nix)}, activation ${s(cpu.byClass.activation)}, ` +
    `other ${s(cpu.byClass.other)}${cpu.byClass.relay ? `, link relay ${s(cpu.byClass.relay)}` : ''}; ${cpu.processes} processes (${cpu.counts.map(([c, n]) => `${n} ${c}`).join(', ')})` +
    (cpu.reparentedMs ? `; re-parented to init, not attributed: ${s(cpu.reparentedMs)}` : '')
  );
}
