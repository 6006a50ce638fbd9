/**
 * startPhone / downPhones: the library face of the phone EMULATION for tests and the lab.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { EmulatedPhone, type PhoneScenario } from './device.js';
import type { AuthMode } from './transport.js';
import { PHONES_DIR, hostPath, sandboxPaths, unmountSandbox } from './sandbox.js';
import { run } from './process.js';
import { processStartTime } from '../../../src-main/core/process/identity.js';

export type { PhoneScenario } from './device.js';
export type { AuthMode } from './transport.js';

export interface StartPhoneOptions {
  readonly scenario: PhoneScenario;
  /** An OpenSSH public key line put in the app's ~/.ssh/authorized_keys (scenario ready). */
  readonly authorizedKey?: string;
  /** ro.product.cpu.abi; default arm64-v8a. x86_64 makes it look like Android's x86_64 emulator. */
  readonly abi?: string;
  /** accept (default): the emulated user allows the adb key; skip: no AUTH; deny: stays unauthorized. */
  readonly auth?: AuthMode;
  /** Port to listen on; default a free one. */
  readonly serialPort?: number;
  /** Run `adb connect` and wait for the device (default true). */
  readonly connect?: boolean;
  readonly model?: string;
  readonly androidVersion?: string;
  /** Size of the phone's /data partition in MiB (a tmpfs), to test a full disk; default: unlimited. */
  readonly dataSizeMb?: number;
  /** Extra ssh login name for the app's user (e.g. the droid's user.userName); nix-on-droid always works. */
  readonly userName?: string;
  readonly log?: (line: string) => void;
  /** Set by the lab's detached emulator process: `phone down` / `lab down` stop such phones. */
  readonly detached?: boolean;
}

/** Who runs a phone, recorded in its directory so a later downPhones() can judge it. */
interface PhoneOwner {
  readonly pid: number;
  /** Start time of the pid (clock ticks since boot), so a reused pid is not taken for the owner. */
  readonly startTime: string | null;
  readonly detached: boolean;
  readonly scenario?: string;
  readonly serial?: string;
}

/** A running emulated phone. */
export interface Phone {
  /** adb serial, 127.0.0.1:PORT. */
  readonly serial: string;
  readonly port: number;
  /** The phone's directory on this machine (root/ is its filesystem). */
  readonly dir: string;
  readonly scenario: PhoneScenario;
  /** Stops the phone and removes it: processes, namespaces, mounts, files, adb entry. */
  stop(): Promise<void>;
  /**
   * Unplugs the phone: drops the TCP link to the adb server and refuses new ones.
   * 'unplug' (default) also runs `adb disconnect`, so the phone leaves `adb devices` as a USB phone
   * does when pulled (for a TCP device adb itself would keep it "offline" and retry for minutes);
   * resolves once adb no longer lists it. 'network-loss' only drops the link: adb shows it
   * "offline" and reconnects by itself after reconnect()/plug-in.
   */
  disconnect(mode?: 'unplug' | 'network-loss'): Promise<void>;
  /** Plugs it back in: accepts the adb server again and runs `adb connect`. */
  reconnect(): Promise<void>;
  /** Text on the Nix-on-Droid app's screen (terminal transcript tail). */
  screenText(): string;
  /** The app in the foreground: com.termux.nix or the launcher. */
  foreground(): string;
  /** Where a path of the phone lives on this machine. */
  hostPath(phonePath: string): string;
  /** Runs argv in the app's environment (uid of the app, HOME=files/home, /nix mounted). */
  runInApp(argv: readonly string[]): Promise<{ code: number; output: string }>;
  /** This phone's state as `adb devices` lists it (device, unauthorized, offline), or null. */
  adbState(): Promise<string | null>;
}

const running = new Map<number, EmulatedPhone>();
const OWNER_FILE = 'owner.json';

/** Is an adb server listening (5037 or $ANDROID_ADB_SERVER_PORT)? Asking adb would start one. */
function adbServerRunning(): Promise<boolean> {
  const port = Number(process.env.ANDROID_ADB_SERVER_PORT) || 5037;
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** State of `serial` in `adb devices`, or null when absent. */
export async function adbDeviceState(serial: string): Promise<string | null> {
  const { stdout } = await run('adb', ['devices'], { allowFail: true });
  for (const line of stdout.split('\n')) {
    const [name, state] = line.trim().split(/\s+/);
    if (name === serial) return state ?? null;
  }
  return null;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `adb connect` (starting the adb server if needed) and waits for the expected state. */
export async function connectAdb(serial: string, auth: AuthMode): Promise<void> {
  await run('adb', ['start-server']);
  const wanted = auth === 'deny' ? 'unauthorized' : 'device';
  await waitFor(async () => {
    const state = await adbDeviceState(serial);
    if (state === wanted) return true;
    if (state === null) await run('adb', ['connect', serial], { allowFail: true });
    return false;
  }, 20_000, `${serial} to be "${wanted}" in adb devices`);
}

/** Starts an emulated phone in this process, in the given scenario. */
export async function startPhone(opts: StartPhoneOptions): Promise<Phone> {
  const device = await EmulatedPhone.start(opts);
  running.set(device.port, device);
  const paths = device.paths;
  const owner: PhoneOwner = { pid: process.pid, startTime: processStartTime(process.pid), detached: opts.detached ?? false, scenario: opts.scenario, serial: device.serial };
  await writeFile(join(paths.dir, OWNER_FILE), JSON.stringify(owner));
  const auth = opts.auth ?? 'accept';
  if (opts.connect ?? true) await connectAdb(device.serial, auth);
  return {
    serial: device.serial,
    port: device.port,
    dir: paths.dir,
    scenario: opts.scenario,
    stop: () => removePhone(device.port),
    disconnect: async (mode = 'unplug') => {
      device.unplug();
      if (mode === 'network-loss') {
        await waitFor(async () => (await adbDeviceState(device.serial)) !== 'device', 10_000, `${device.serial} to go offline`);
        return;
      }
      await run('adb', ['disconnect', device.serial], { allowFail: true });
      await waitFor(async () => (await adbDeviceState(device.serial)) === null, 10_000, `${device.serial} to leave adb devices`);
    },
    reconnect: async () => {
      device.plugIn();
      await connectAdb(device.serial, auth);
    },
    screenText: () => device.terminal.screenText(),
    foreground: () => device.foreground,
    hostPath: (phonePath) => hostPath(paths, phonePath),
    runInApp: (argv) => device.runInApp(argv),
    adbState: () => adbDeviceState(device.serial),
  };
}

/** Is the recorded owner still the same running process? */
function ownerAlive(owner: PhoneOwner): boolean {
  return owner.startTime !== null && processStartTime(owner.pid) === owner.startTime;
}

async function readOwner(dir: string): Promise<PhoneOwner | null> {
  try {
    return JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as PhoneOwner;
  } catch {
    return null;
  }
}

async function killPid(pid: number): Promise<void> {
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  for (let i = 0; i < 30; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    try { process.kill(pid, 0); } catch { return; }
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

/** Removes one phone by port: whoever runs it, whatever a crash left. */
async function removePhone(port: number): Promise<void> {
  const paths = sandboxPaths(port);
  const device = running.get(port);
  running.delete(port);
  if (device) await device.close();
  const owner = await readOwner(paths.dir);
  // A detached emulator (lab phone) is asked to stop; a dead owner's pid is never signalled.
  if (owner && owner.pid !== process.pid && owner.detached && ownerAlive(owner)) await killPid(owner.pid);
  const { stdout } = await run('ip', ['netns', 'pids', paths.netns], { allowFail: true });
  for (const pid of stdout.split('\n').map(Number).filter((n) => n > 1)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  await run('ip', ['netns', 'del', paths.netns], { allowFail: true });
  await unmountSandbox(paths);
  if (await adbServerRunning()) await run('adb', ['disconnect', `127.0.0.1:${port}`], { allowFail: true });
  // --one-file-system: never follow a mount that might still be around into the host's files.
  await run('rm', ['-rf', '--one-file-system', paths.dir], { allowFail: true });
}

export interface DownPhonesOptions {
  /** Also stop phones other live processes run in-process (default false). */
  readonly all?: boolean;
  /** Stop the lab's detached phones (`lab phone up`); default true. Tests pass false. */
  readonly lab?: boolean;
}

/**
 * Removes every emulated phone: this process's, the lab's detached ones, and whatever a crashed
 * run left (processes, namespaces, mounts, files, adb entries). Phones that another live process
 * (e.g. a parallel test run) runs in-process are left to it, unless `all` is set.
 */
export async function downPhones(opts: DownPhonesOptions = {}): Promise<void> {
  const ports = new Set<number>(running.keys());
  const withDir = new Set<number>();
  if (existsSync(PHONES_DIR)) {
    for (const name of await readdir(PHONES_DIR)) {
      const match = /^phone-(\d+)$/.exec(name);
      if (!match) continue;
      const port = Number(match[1]);
      withDir.add(port);
      const owner = await readOwner(join(PHONES_DIR, name));
      const othersLive = owner !== null && owner.pid !== process.pid && ownerAlive(owner);
      const spared = othersLive && (!owner.detached || opts.lab === false);
      if (opts.all || !spared) ports.add(port);
    }
  }
  const { stdout } = await run('ip', ['netns', 'list'], { allowFail: true });
  for (const line of stdout.split('\n')) {
    const match = /^fleet-phone-(\d+)\b/.exec(line.trim());
    if (match && !withDir.has(Number(match[1]))) ports.add(Number(match[1]));
  }
  for (const port of ports) await removePhone(port);
  if (existsSync(PHONES_DIR) && (await readdir(PHONES_DIR)).length > 0) return;
  const mounted = await run('findmnt', ['-n', '-o', 'TARGET', '--mountpoint', PHONES_DIR], { allowFail: true });
  if (mounted.stdout.trim() === PHONES_DIR) await run('umount', ['-l', PHONES_DIR], { allowFail: true });
  await rm(PHONES_DIR, { recursive: true, force: true });
}
