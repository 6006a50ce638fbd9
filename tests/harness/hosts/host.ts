import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { addressesOf, netnsName, vethName, type HostRecord } from './records.js';
import { run, runOk, sleep, type RunOptions, type RunResult } from './run.js';
import { SESSION_PATH } from './layout.js';

/**
 * One host's lifetime: its network namespace and veth pair, and the long-lived "holder"
 * process that owns its mount and UTS namespaces. sshd, nix-daemon and everything started
 * later with nsenter live inside those namespaces and see the host's own /nix, /run and /etc.
 */

// Runs inside `ip netns exec NS unshare -m -u`: positional arguments only, nothing interpolated.
// With a toolchain ($5: a Debian root filesystem), sshd, nix-daemon and every ssh session run
// chrooted in a copy-on-write view of it that shows this host's /nix, /run, /etc, /root, /home.
const HOLDER_SCRIPT = `
set -e
dir=$1; host=$2; address=$3; store_size=$4; toolchain=$5
if [ -n "$store_size" ]; then mount -t tmpfs -o "size=$store_size,mode=755" fleet-lab-store /nix; else mount --bind "$dir/nix" /nix; fi
mount --bind "$dir/run" /run
mount --bind "$dir/boot" /boot
# The host's own /etc: the machine's (or its toolchain's), overlaid with this host's files
# (passwd, shadow, ssh/, nix/, sudoers.d/, hosts) and taking every write an activation makes.
etc_lower=/etc
if [ -n "$toolchain" ]; then etc_lower=$toolchain/etc; fi
mount -t overlay fleet-lab-etc -o "lowerdir=$etc_lower,upperdir=$dir/etc,workdir=$dir/etc-work" /etc
# The machine's programs outside the toolchain's chroot keep the machine's library cache.
if [ -n "$toolchain" ]; then mount --bind "$dir/toolchain/machine-ld.so.cache" /etc/ld.so.cache; fi
mount --bind "$dir/root" /root
mount --bind "$dir/home" /home
hostname "$host"
ip link set lo up
ip addr add "$address/30" dev eth0
ip link set eth0 up
export NIX_REMOTE=
if [ -n "$toolchain" ]; then
  root=$dir/toolchain/root
  mount -t overlay fleet-lab-root -o "lowerdir=$toolchain,upperdir=$dir/toolchain/upper,workdir=$dir/toolchain/work" "$root"
  # A store moved onto a tmpfs later (fillStore) shows inside too.
  mount --make-shared /nix
  # /etc without the library cache bound over it above (a bind without its submounts).
  for path in /nix /run /boot /etc /root /home /tmp; do mkdir -p "$root$path"; mount --bind "$path" "$root$path"; done
  for path in /proc /dev /sys; do mount --rbind "$path" "$root$path"; done
  if [ ! -d "$root$dir" ]; then mkdir -p "$root$dir"; mount --bind "$dir" "$root$dir"; fi
  chroot "$root" nix-store --init
  chroot "$root" nix-daemon >>"$dir/log/nix-daemon.log" 2>&1 </dev/null &
  chroot "$root" /usr/sbin/sshd -f /etc/ssh/sshd_config -E "$dir/log/sshd.log"
else
  nix-store --init
  nix-daemon >>"$dir/log/nix-daemon.log" 2>&1 </dev/null &
  /usr/sbin/sshd -f /etc/ssh/sshd_config -E "$dir/log/sshd.log"
fi
echo READY
exec sleep infinity </dev/null >/dev/null 2>&1
`;

/**
 * Set in the environment of every host's holder, and so of its sshd and nix-daemon: lets a
 * later run find a host's processes even when its namespace name is gone (cleanup.ts).
 */
export const HOST_DIR_TAG = 'FLEET_LAB_HOST_DIR';

/** Environment for processes started inside a host: no inherited secrets, a NixOS-like PATH. */
export const HOST_ENV: NodeJS.ProcessEnv = {
  PATH: SESSION_PATH,
  HOME: '/root',
  LANG: 'C.UTF-8',
  NIX_REMOTE: '',
};

export interface HostStart {
  readonly slot: number;
  readonly index: number;
  readonly name: string;
  /** Directory already filled by createHostLayout. */
  readonly dir: string;
  /** When set (e.g. "64m"), the host's /nix is a tmpfs of this size instead of a directory. */
  readonly storeSize?: string;
  /** A toolchain the host runs its sshd, nix and sessions from (tests/harness/toolchain). */
  readonly toolchain?: { readonly suite: string; readonly rootfs: string };
  readonly timeoutMs?: number;
}

/** Create the namespaces and veth pair of a host and start its holder, nix-daemon and sshd. */
export async function startHost(start: HostStart): Promise<HostRecord> {
  const { slot, index, name, dir } = start;
  const netns = netnsName(slot, name);
  const rootVeth = vethName(slot, index);
  const { address, gateway } = addressesOf(slot, index);
  await runOk('ip', ['netns', 'add', netns]);
  await runOk('ip', ['-batch', '-'], {
    input: [
      `link add ${rootVeth} type veth peer name eth0 netns ${netns}`,
      `addr add ${gateway}/30 dev ${rootVeth}`,
      `link set ${rootVeth} up`,
      '',
    ].join('\n'),
  });
  const toolchain = start.toolchain ? { suite: start.toolchain.suite, root: path.join(dir, 'toolchain/root') } : undefined;
  const holderPid = await spawnHolder(netns, dir, [name, address, start.storeSize ?? '', start.toolchain?.rootfs ?? ''], start.timeoutMs ?? 30_000);
  const record: HostRecord = { name, index, netns, rootVeth, address, gateway, dir, holderPid, ...(toolchain ? { toolchain } : {}) };
  await waitForPort(address, 22, start.timeoutMs ?? 30_000);
  return record;
}

async function spawnHolder(netns: string, dir: string, args: readonly [string, string, string, string], timeoutMs: number): Promise<number> {
  const name = args[0];
  const logFd = openSync(path.join(dir, 'log/holder.log'), 'a');
  const child = spawn(
    'ip',
    ['netns', 'exec', netns, 'unshare', '-m', '-u', '--propagation', 'private', '--', '/bin/sh', '-c', HOLDER_SCRIPT, 'sh', dir, ...args],
    { detached: true, stdio: ['ignore', 'pipe', logFd], cwd: '/', env: { ...HOST_ENV, [HOST_DIR_TAG]: dir } },
  );
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the holder of host ${name}`);
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`host ${name} did not come up within ${timeoutMs} ms`)), timeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (seen.includes('READY')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`host ${name} failed to start (exit ${code ?? 'signal'})`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    const log = await readFile(path.join(dir, 'log/holder.log'), 'utf8').catch(() => '');
    throw new Error(`${(error as Error).message}${log ? `:\n${log.trim()}` : ''}`, { cause: error });
  }
  child.stdout?.destroy();
  child.removeAllListeners('exit');
  child.unref();
  return pid;
}

/** Wait until a TCP port accepts connections (from the root namespace). */
export async function waitForPort(address: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: address, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.setTimeout(1000, () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${address}:${port} did not accept connections within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** PIDs of every process inside a network namespace (what `ip netns pids` sees). */
export async function netnsPids(netns: string): Promise<readonly number[]> {
  const result = await run('ip', ['netns', 'pids', netns]);
  if (result.code !== 0) return [];
  return result.stdout
    .split('\n')
    .filter((line) => /^\d+$/.test(line.trim()))
    .map(Number);
}

/** Command name (/proc/PID/comm) of a process, or null when it is gone. */
export async function processName(pid: number): Promise<string | null> {
  return readFile(`/proc/${pid}/comm`, 'utf8').then((s) => s.trim(), () => null);
}

/** Kill every process in a namespace and remove the namespace and its veth pair. */
export async function removeNetns(netns: string, rootVeth?: string): Promise<void> {
  const pids = await netnsPids(netns);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 250 && (await stillRunning(pids)); i++) await sleep(20);
  // Deleting our end first destroys the pair at once; a bare `netns del` frees it only later.
  if (rootVeth) await run('ip', ['link', 'del', rootVeth]);
  await run('ip', ['netns', 'del', netns]);
}

async function stillRunning(pids: readonly number[]): Promise<boolean> {
  // Zombies count too: `pgrep sshd` lists them until they are reaped, and cleanup must leave nothing.
  const dirs = new Set(await readdir('/proc'));
  return pids.some((pid) => dirs.has(String(pid)));
}

/** Stop a host: every process in it, its namespaces and its veth pair. Its state directory stays. */
export async function stopHost(host: HostRecord): Promise<void> {
  await removeNetns(host.netns, host.rootVeth);
}

/** nsenter arguments that put a command inside a host's network, mount and UTS namespaces. */
export function insideHost(host: HostRecord, argv: readonly string[]): readonly string[] {
  return ['-t', String(host.holderPid), '-m', '-u', '-n', '--', 'env', '-i', ...Object.entries(HOST_ENV).map(([k, v]) => `${k}=${v ?? ''}`), ...argv];
}

/**
 * The argv that runs a program as the host's own programs run: chrooted into its toolchain
 * when it has one (sshd, nix-daemon, what ssh sessions see), as is otherwise.
 */
export function hostProgram(host: HostRecord, argv: readonly string[]): readonly string[] {
  return host.toolchain ? ['chroot', host.toolchain.root, ...argv] : argv;
}

/** Run a command inside a host "from the inside" (as root, without ssh) and collect its output. */
export function execInHost(host: HostRecord, argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run('nsenter', insideHost(host, argv), { cwd: '/', ...options });
}

/** Start a detached long-lived process inside a host (it ends with the host). */
export function spawnInHost(host: HostRecord, argv: readonly string[], logFile: string): number {
  const logFd = openSync(logFile, 'a');
  const child = spawn('nsenter', [...insideHost(host, argv)], { detached: true, stdio: ['ignore', logFd, logFd], cwd: '/' });
  closeSync(logFd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${argv[0] ?? 'a process'} in host ${host.name}`);
  return child.pid;
}

// Writes go through the host's overlay /etc, never into its upper directory behind its back.
const WRITE_FILE = 'cat > "$1.fleet-lab-new" && chmod "$2" "$1.fleet-lab-new" && mv -f "$1.fleet-lab-new" "$1"';

/** Replace a file inside a running host (e.g. /etc/ssh/sshd_config), atomically and with the given mode. */
export async function writeHostFile(host: HostRecord, file: string, content: string, mode: number): Promise<void> {
  const result = await execInHost(host, ['/bin/sh', '-c', WRITE_FILE, 'sh', file, mode.toString(8)], { input: content });
  if (result.code !== 0) throw new Error(`could not write ${file} in ${host.name}: ${result.stderr.trim()}`);
}
