/**
 * The copy's CPU on this machine (issue 15): one copy of the bench closure (201 paths /
 * 300 MB, deploy-closure.ts) per variant and round, each onto a fresh lab host, interleaved
 * so the machine's load hits every variant alike. For each: this process's CPU
 * (process.cpuUsage: node alone, not the local `nix path-info`), the host's sshd session CPU
 * (its processes under the host's sshd, read from /proc right after the copy, less what the
 * log-in cost), what sshd reaped (the host's nix-store), and the wall time.
 *
 * The variants are the client's cipher and MAC (what ssh2 negotiates without its native
 * binding) and whether the socket's writes are coalesced per event-loop turn
 * (connection.ts coalesceWrites). Both are switched here, for the comparison only, by
 * wrapping ssh2's Client.connect and by turning net.Socket's cork into a no-op.
 *
 * `FLEET_BENCH_ROUNDS=2 npm run bench copy-cpu`; FLEET_BENCH_SALT reuses a closure built before,
 * FLEET_BENCH_VARIANTS=0,1 runs only those variants.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import ssh2, { type ConnectConfig } from 'ssh2';
import { PassphraseCache } from '../../src-main/core/ssh/auth';
import { SshConnection } from '../../src-main/core/ssh/connection';
import { HostSession } from '../../src-main/core/deploy/host-session';
import { copyClosure } from '../../src-main/core/deploy/copy-closure';
import { startDeployWorld, type DeployWorld } from '../integration/deploy-world';
import { buildBenchClosure } from './deploy-closure';

interface Variant {
  readonly label: string;
  readonly algorithms?: { readonly cipher: string[]; readonly hmac?: string[] };
  /** false: every ssh2 write is its own socket write (as before coalesceWrites). */
  readonly coalesce: boolean;
}

const variants: readonly Variant[] = [
  { label: 'writes not coalesced (before)', coalesce: false },
  { label: 'as shipped (connection.ts: coalesced)', coalesce: true },
  { label: 'aes128-ctr + hmac-sha2-256-etm, coalesced', algorithms: { cipher: ['aes128-ctr'], hmac: ['hmac-sha2-256-etm@openssh.com'] }, coalesce: true },
];

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Of it, in the kernel (socket writes and reads, loopback TCP, file reads). */
  readonly sysMs: number;
  readonly sshdMs: number;
  readonly reapedMs: number;
  readonly negotiated: string;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The processes under a host's listening sshd: own CPU of the sshd ones, and what they reaped (nix-store, sh), in ms. */
function sessionCpu(world: DeployWorld, host: string): { sshdMs: number; reapedMs: number } {
  const lab = world.lab.hosts.find((h) => h.name === host)!;
  const listener = Number(fs.readFileSync(path.join(lab.dir, 'run/sshd.pid'), 'utf8').trim());
  const stats = new Map<number, { comm: string; ppid: number; own: number; reaped: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      stats.set(Number(entry), { comm, ppid: f[1]!, own: (f[11]! + f[12]!) * 10, reaped: (f[13]! + f[14]!) * 10 });
    } catch {
      // gone meanwhile
    }
  }
  const under = (pid: number) => {
    for (let p: number | undefined = stats.get(pid)?.ppid, hops = 0; p !== undefined && hops < 32; p = stats.get(p)?.ppid, hops++) if (p === listener) return true;
    return false;
  };
  let sshdMs = 0;
  let reapedMs = 0;
  for (const [pid, s] of stats) {
    if (!under(pid)) continue;
    if (s.comm.startsWith('sshd')) {
      sshdMs += s.own;
      reapedMs += s.reaped;
    } else reapedMs += s.own;
  }
  return { sshdMs, reapedMs };
}

export default async function copyCpuBench(): Promise<void> {
  const rounds = Number(process.env.FLEET_BENCH_ROUNDS ?? 2);
  const name = (v: number, r: number) => `cpu-${v}-${r}`;
  const world = await startDeployWorld({ names: variants.flatMap((_, v) => Array.from({ length: rounds }, (__, r) => name(v, r))) });
  // The variants' switches: ssh2's algorithms, and net.Socket's cork (coalesceWrites corks and uncorks).
  const client = ssh2.Client.prototype as unknown as { connect(this: ssh2.Client, cfg: ConnectConfig): ssh2.Client };
  const connect = client.connect;
  const { cork, uncork } = net.Socket.prototype;
  let current: Variant = variants[0]!;
  let negotiated = '';
  client.connect = function (cfg) {
    this.once('handshake', (n: { cs: { cipher: string; mac: string } }) => (negotiated = `${n.cs.cipher}${n.cs.cipher.includes('gcm') ? '' : ` + ${n.cs.mac}`}`));
    return connect.call(this, current.algorithms ? { ...cfg, algorithms: { ...cfg.algorithms, ...current.algorithms } as ConnectConfig['algorithms'] } : cfg);
  };
  try {
    const salt = process.env.FLEET_BENCH_SALT ?? `bench-${Date.now()}`;
    const closure = buildBenchClosure({ count: 200, bytes: 1_500_000, salt });
    // Whether ssh2's optional native crypto binding was built (npm install scripts): it changes every figure here.
    const binding = (createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean }).bindingAvailable;
    process.stdout.write(`closure: ${closure.paths} paths, ${(closure.bytes / 1e6).toFixed(0)} MB (${closure.root}, salt ${salt}); ssh2's native binding ${binding ? 'loaded' : 'absent'}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    const samples = variants.map((): Sample[] => []);
    // FLEET_BENCH_VARIANTS=0,2 runs only those (a profile of one variant).
    const chosen = process.env.FLEET_BENCH_VARIANTS?.split(',').map(Number) ?? variants.map((_, v) => v);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < chosen.length; i++) {
        // Each round starts with another variant: whichever runs first in a round tends to be quickest.
        const v = chosen[(i + r) % chosen.length]!;
        current = variants[v]!;
        spawnSync('sync');
        if (!current.coalesce) {
          net.Socket.prototype.cork = function () {};
          net.Socket.prototype.uncork = function () {};
        }
        const host = name(v, r);
        const connection = await SshConnection.open({ host, home: world.home, appKnownHosts: path.join(world.dataDir, 'known_hosts'), passphrases: new PassphraseCache(), askUnknownKey: async () => false });
        try {
          const login = sessionCpu(world, host);
          const started = performance.now();
          const cpu = process.cpuUsage();
          const result = await copyClosure(new HostSession(connection, { kind: 'root' }), [closure.root], { env: world.env });
          const used = process.cpuUsage(cpu);
          const wallMs = performance.now() - started;
          const session = sessionCpu(world, host);
          if (result.copiedPaths !== closure.paths) throw new Error(`copied ${result.copiedPaths} of ${closure.paths} paths`);
          samples[v]!.push({
            wallMs,
            cpuMs: (used.user + used.system) / 1000,
            sysMs: used.system / 1000,
            sshdMs: session.sshdMs - login.sshdMs,
            reapedMs: session.reapedMs - login.reapedMs,
            negotiated,
          });
        } finally {
          connection.close();
          net.Socket.prototype.cork = cork;
          net.Socket.prototype.uncork = uncork;
        }
      }
    }
    for (const [v, list] of samples.entries()) {
      if (list.length === 0) continue;
      const all = (f: (s: Sample) => number) => list.map((s) => secs(f(s))).join(' / ');
      process.stdout.write(
        `${variants[v]!.label} [${list[0]?.negotiated}]: this process median ${secs(median(list.map((s) => s.cpuMs)))} (${all((s) => s.cpuMs)}), in the kernel ${secs(median(list.map((s) => s.sysMs)))}; ` +
          `host sshd ${secs(median(list.map((s) => s.sshdMs)))} (${all((s) => s.sshdMs)}), its nix-store ${secs(median(list.map((s) => s.reapedMs)))}; wall ${secs(median(list.map((s) => s.wallMs)))} (${all((s) => s.wallMs)})\n`,
      );
    }
    process.stdout.write('\n');
  } finally {
    client.connect = connect;
    net.Socket.prototype.cork = cork;
    net.Socket.prototype.uncork = uncork;
    await world.stop();
  }
}
