/**
 * An emulated Android phone: the adbd end of the ADB transport on 127.0.0.1:PORT, Android's
 * system tools, the Nix-on-Droid app (install, first-run bootstrap, terminal) and its sshd.
 * It is an EMULATION for tests and demos; a real phone is driven the same way by the app.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, chown, copyFile, mkdir, readFile, writeFile, lstat, readlink, rm, appendFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { DeviceTransport, type AuthMode } from './transport.js';
import { openPhoneService, SYNC_AGENT_PATH } from './services.js';
import { answerTool, encodeToolResult, LAUNCHER, TOOL_NAMES, TOOL_SCRIPT, type AndroidSystem } from './android.js';
import { Terminal } from './terminal.js';
import {
  APP_DATA, APP_HOME, APP_PREFIX, APP_UID, SHELL_UID, createSandbox, hostPath, mountAppStore, spawnInPhone,
  unmountAppStore, type SandboxPaths,
} from './sandbox.js';
import { run } from './process.js';
import { emulatedApk } from './apk.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** none: app absent; installed: app installed, first run pending; bootstrapped: app set up, no sshd; ready: sshd on 8022. */
export type PhoneScenario = 'none' | 'installed' | 'bootstrapped' | 'ready';

export interface DeviceOptions {
  readonly scenario: PhoneScenario;
  readonly authorizedKey?: string;
  readonly abi?: string;
  readonly auth?: AuthMode;
  readonly serialPort?: number;
  readonly model?: string;
  readonly androidVersion?: string;
  readonly sdk?: string;
  readonly dataSizeMb?: number;
  readonly userName?: string;
  readonly log?: (line: string) => void;
}

function properties(options: DeviceOptions, serial: string): Record<string, string> {
  const abi = options.abi ?? 'arm64-v8a';
  const emulator = abi.startsWith('x86');
  const device = emulator ? 'emulator64_x86_64' : 'oriole';
  const product = emulator ? 'sdk_gphone64_x86_64' : 'oriole';
  const model = options.model ?? (emulator ? 'sdk_gphone64_x86_64' : 'Pixel 6');
  const release = options.androidVersion ?? '13';
  return {
    'ro.product.name': product, 'ro.product.model': model, 'ro.product.device': device,
    'ro.product.brand': 'google', 'ro.product.manufacturer': 'Google',
    'ro.product.cpu.abi': abi,
    'ro.product.cpu.abilist': emulator ? 'x86_64,x86' : 'arm64-v8a,armeabi-v7a,armeabi',
    'ro.product.cpu.abilist64': emulator ? 'x86_64' : 'arm64-v8a',
    'ro.build.version.release': release, 'ro.build.version.sdk': options.sdk ?? '33',
    'ro.build.type': 'user', 'ro.build.tags': 'release-keys', 'ro.debuggable': '0', 'ro.secure': '1',
    'ro.adb.secure': options.auth === 'skip' ? '0' : '1',
    'ro.build.fingerprint': `google/${product}/${device}:${release}/TQ3A.230901.001/10750268:user/release-keys`,
    'ro.serialno': serial, 'ro.hardware': emulator ? 'ranchu' : device, 'sys.boot_completed': '1',
    'init.svc.adbd': 'running', 'persist.sys.usb.config': 'adb', 'service.adb.tcp.port': serial.split(':')[1] ?? '5555',
    ...(emulator ? { 'ro.kernel.qemu': '1', 'ro.boot.qemu': '1' } : {}),
    'emulation.fleet': '1',
  };
}

/** Resolves a phone path to a host path, following symlinks inside the phone's root only. */
async function resolveInPhone(root: string, phonePath: string, hops = 0): Promise<string> {
  if (hops > 40) throw new Error('too many symlinks');
  const parts = posix.normalize(`/${phonePath}`).split('/').filter(Boolean);
  let current = '/';
  for (let i = 0; i < parts.length; i += 1) {
    const next = posix.join(current, parts[i] ?? '');
    const onHost = join(root, next);
    const stat = await lstat(onHost);
    if (stat.isSymbolicLink()) {
      const target = await readlink(onHost);
      const rest = parts.slice(i + 1).join('/');
      const base = target.startsWith('/') ? target : posix.join(current, target);
      return resolveInPhone(root, posix.join(base, rest), hops + 1);
    }
    current = next;
  }
  return join(root, current);
}

/** A running phone emulation. */
export class EmulatedPhone implements AndroidSystem {
  readonly props: Record<string, string>;
  readonly terminal: Terminal;
  foreground = LAUNCHER;
  private readonly transports = new Set<DeviceTransport>();
  private unplugged = false;
  private constructor(
    readonly port: number,
    readonly paths: SandboxPaths,
    private readonly adbServer: Server,
    private readonly options: DeviceOptions,
    private controlServer: Server | null = null,
  ) {
    this.props = properties(options, this.serial);
    this.terminal = new Terminal({
      bootstrap: () => new Promise<void>((resolve) => setTimeout(resolve, 400)).then(() => this.bootstrapApp()),
      runLine: (line, echo) => this.runTyped(line, echo),
      isBootstrapped: () => this.isBootstrapped(),
    });
  }

  get serial(): string { return `127.0.0.1:${this.port}`; }

  /** Starts a phone: listens for the adb server, builds the sandbox, applies the scenario. */
  static async start(options: DeviceOptions): Promise<EmulatedPhone> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.serialPort ?? 0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const paths = await createSandbox(port, { dataSizeMb: options.dataSizeMb, userName: options.userName });
    const phone = new EmulatedPhone(port, paths, server, options);
    await phone.installSystem();
    await phone.applyScenario(options.scenario);
    server.on('connection', (socket) => phone.accept(socket));
    return phone;
  }

  private log(line: string): void { this.options.log?.(`[${this.serial}] ${line}`); }

  private banner(): string {
    const p = this.props;
    return `device::ro.product.name=${p['ro.product.name']};ro.product.model=${p['ro.product.model']};ro.product.device=${p['ro.product.device']};features=fixed_push_mkdir`;
  }

  private accept(socket: Socket): void {
    if (this.unplugged) { socket.destroy(); return; }
    const keysFile = hostPath(this.paths, '/data/misc/adb/adb_keys');
    const trusted = existsSync(keysFile) ? readFileSync(keysFile, 'utf8').split('\n').filter(Boolean) : [];
    const transport = new DeviceTransport(socket, {
      banner: this.banner(),
      auth: this.options.auth ?? 'accept',
      trustedKeys: trusted,
      onKeyAllowed: (key) => { void appendFile(keysFile, `${key}\n`); },
      openService: (name, stream) => openPhoneService(this.paths, name, stream, { reboot: () => this.reboot() }),
      log: (line) => this.log(line),
    });
    this.transports.add(transport);
    socket.on('close', () => this.transports.delete(transport));
  }

  /** Drops the link to the adb server and refuses it until plugIn(), like pulling the cable. */
  unplug(): void {
    this.unplugged = true;
    for (const transport of this.transports) transport.drop();
    this.transports.clear();
  }

  /** Accepts the adb server again (it reconnects by itself, or on `adb connect`). */
  plugIn(): void { this.unplugged = false; }

  /** Reboots: the adb link drops, the app and its sshd die; adbd is back after ~3 s. */
  reboot(): void {
    this.log('rebooting');
    this.unplug();
    this.terminal.kill();
    this.foreground = LAUNCHER;
    void this.stopSshd();
    setTimeout(() => this.plugIn(), 3000);
  }

  private async installSystem(): Promise<void> {
    const bin = hostPath(this.paths, '/system/bin');
    for (const tool of TOOL_NAMES) await writeFile(join(bin, tool), TOOL_SCRIPT, { mode: 0o755 });
    const source = await readFile(join(HERE, 'sync-agent.ts'), 'utf8');
    const agent = transformSync(source, { loader: 'ts', format: 'esm', target: 'node20' }).code;
    await writeFile(hostPath(this.paths, SYNC_AGENT_PATH), agent, { mode: 0o644 });
    await writeFile(hostPath(this.paths, '/system/build.prop'),
      Object.entries(this.props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    await this.startControl();
  }

  private async startControl(): Promise<void> {
    const socketPath = hostPath(this.paths, '/run/phone/control');
    // allowHalfOpen: the tool shuts down its side after argv and still reads our answer.
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('end', () => {
        const argv = Buffer.concat(chunks).toString('utf8').split('\0').slice(0, -1);
        void answerTool(this, argv)
          .catch((error: unknown) => ({ stdout: '', stderr: `${(error as Error).message}\n`, code: 1 }))
          .then((result) => socket.end(encodeToolResult(result)));
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    await chmod(socketPath, 0o666);
    this.controlServer = server;
  }

  private async applyScenario(scenario: PhoneScenario): Promise<void> {
    if (scenario === 'none') return;
    await this.install(emulatedApk());
    if (scenario === 'installed') return;
    await this.bootstrapApp();
    if (scenario === 'bootstrapped') return;
    const home = hostPath(this.paths, APP_HOME);
    await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    if (this.options.authorizedKey) {
      await writeFile(join(home, '.ssh/authorized_keys'), `${this.options.authorizedKey.trim()}\n`, { mode: 0o600 });
    }
    await this.startSshd();
  }

  isInstalled(): boolean { return existsSync(hostPath(this.paths, APP_DATA)); }

  isBootstrapped(): boolean {
    return existsSync(hostPath(this.paths, `${APP_PREFIX}/bin/nix-on-droid`)) && existsSync(hostPath(this.paths, APP_HOME));
  }

  async readPhoneFile(path: string): Promise<Buffer> {
    return readFile(await resolveInPhone(this.paths.root, path));
  }

  async writeSdcardFile(name: string, content: string): Promise<void> {
    const target = join(hostPath(this.paths, '/storage/emulated/0'), posix.normalize(`/${name}`));
    await writeFile(target, content);
    await chown(target, SHELL_UID, 1015);
  }

  /** Installs Nix-on-Droid's package: its private data directory, owned by the app's uid. */
  async install(apk: Buffer): Promise<void> {
    const codeDir = hostPath(this.paths, '/data/app/com.termux.nix-1');
    await mkdir(codeDir, { recursive: true });
    await writeFile(join(codeDir, 'base.apk'), apk);
    const data = hostPath(this.paths, APP_DATA);
    if (existsSync(data)) return;
    for (const dir of ['', '/cache', '/code_cache']) {
      await mkdir(data + dir, { recursive: true });
      await chown(data + dir, APP_UID, APP_UID);
      await chmod(data + dir, dir === '' ? 0o700 : 0o771);
    }
  }

  /** Uninstalls the app: its processes, store mount and data go away. */
  async uninstall(): Promise<void> {
    this.terminal.kill();
    this.foreground = LAUNCHER;
    await this.stopSshd();
    await unmountAppStore(this.paths);
    await rm(hostPath(this.paths, APP_DATA), { recursive: true, force: true });
    await rm(hostPath(this.paths, '/data/app/com.termux.nix-1'), { recursive: true, force: true });
  }

  /** Clears the app's data, keeping it installed (`pm clear`). */
  async clearData(): Promise<void> {
    const apk = await readFile(hostPath(this.paths, '/data/app/com.termux.nix-1/base.apk'));
    await this.uninstall();
    await this.install(apk);
  }

  /** What the first-run bootstrap leaves: files/usr (with nix-on-droid), files/home, the nix store. */
  async bootstrapApp(): Promise<void> {
    const prefix = hostPath(this.paths, APP_PREFIX);
    for (const dir of ['bin', 'etc/ssh', 'tmp', 'lib', 'nix/store', 'nix/var/nix/profiles']) {
      await mkdir(join(prefix, dir), { recursive: true });
    }
    await mkdir(hostPath(this.paths, `${APP_HOME}/.config/nix-on-droid`), { recursive: true });
    await copyFile(join(HERE, 'nix-on-droid.sh'), join(prefix, 'bin/nix-on-droid'));
    await chmod(join(prefix, 'bin/nix-on-droid'), 0o755);
    await writeFile(join(prefix, 'bin/login'),
      '#!/bin/sh\n# Nix-on-Droid login of the phone EMULATION: enters the app\'s environment.\ncd "$HOME"\n'
      + 'if [ "$#" -gt 0 ]; then exec "$@"; else exec /bin/bash -l; fi\n', { mode: 0o755 });
    const hostKey = join(prefix, 'etc/ssh/ssh_host_ed25519_key');
    if (!existsSync(hostKey)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'nix-on-droid emulation', '-f', hostKey]);
    await mountAppStore(this.paths);
  }

  /** Runs a command in the app's environment (what its terminal and sshd sessions get). */
  runInApp(argv: readonly string[]): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      const child = spawnInPhone(this.paths, 'app', argv);
      let output = '';
      child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
      child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
      child.on('close', (code) => resolve({ code: code ?? 1, output }));
      child.stdin?.end();
    });
  }

  private runTyped(line: string, echo: (text: string) => void): Promise<void> {
    return new Promise((resolve) => {
      const child = spawnInPhone(this.paths, 'app', ['/bin/bash', '-c', 'exec 2>&1; eval "$1"', 'bash', line]);
      child.stdout?.on('data', (d: Buffer) => echo(d.toString()));
      child.stdin?.end();
      // Resolve at exit, not at pipe close: a daemon started by the line may keep the pipe open.
      child.on('exit', () => setTimeout(resolve, 50));
      child.on('error', () => resolve());
    });
  }

  private async startSshd(): Promise<void> {
    const result = await this.runInApp(['/usr/sbin/sshd']);
    if (result.code !== 0) throw new Error(`sshd did not start in the phone: ${result.output.trim()}`);
    const pidFile = hostPath(this.paths, `${APP_PREFIX}/tmp/sshd.pid`);
    for (let i = 0; i < 100 && !existsSync(pidFile); i += 1) await new Promise((r) => setTimeout(r, 50));
  }

  private async stopSshd(): Promise<void> {
    const pidFile = hostPath(this.paths, `${APP_PREFIX}/tmp/sshd.pid`);
    if (!existsSync(pidFile)) return;
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    if (pid > 1) { try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ } }
  }

  /** Stops serving: drops the adb link and closes the sockets (the sandbox is removed by the caller). */
  async close(): Promise<void> {
    this.unplug();
    await new Promise<void>((resolve) => this.adbServer.close(() => resolve()));
    const control = this.controlServer;
    if (control) await new Promise<void>((resolve) => control.close(() => resolve()));
  }
}
