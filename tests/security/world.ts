import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { FleetEvent, WireReply } from '../../src-main/core/api';

// The world of the security suite: throw-away homelabs (real git repos), the real `fleet`
// CLI and `fleet serve` as child processes, raw TCP sockets for requests no HTTP client
// would send, and a WebSocket client speaking the bridge protocol.

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fleetBin = path.join(repoRoot, 'bin/fleet.js');

/** Files of a test homelab: path -> content, {symlink: target}, or {fifo: true}. */
export type Files = Record<string, string | { readonly symlink: string } | { readonly fifo: true }>;

/** A flake that evaluates in a blink: no inputs, no nixpkgs. */
export const tinyFlake = '{ outputs = { self }: { nixosConfigurations = { }; homeConfigurations = { }; }; }\n';

const made: string[] = [];

/** A temp folder (its real path), removed by cleanUp(). */
export function tempDir(prefix: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `fleet-sec-${prefix}-`)));
  made.push(dir);
  return dir;
}

/** Write `files` into `dir`. */
export function writeFiles(dir: string, files: Files): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (typeof content === 'string') fs.writeFileSync(file, content);
    else if ('symlink' in content) fs.symlinkSync(content.symlink, file);
    else spawnSync('mkfifo', [file]);
  }
}

/** A homelab checkout: flake.nix, a system, then `files`; committed with git unless `git: false`. */
export function makeHomelab(files: Files = {}, options: { git?: boolean; commitAfter?: Files } = {}): string {
  const dir = tempDir('homelab');
  writeFiles(dir, { 'flake.nix': tinyFlake, 'systems/web/default.nix': '{ ... }: { }\n', ...files });
  if (options.git !== false) {
    const git = (...args: string[]) => spawnSync('git', args, { cwd: dir, stdio: 'ignore' });
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab');
  }
  if (options.commitAfter) writeFiles(dir, options.commitAfter);
  return dir;
}

/** Remove every temp folder made so far. */
export function cleanUp(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real `fleet` CLI and wait for it (a hang is the test's timeout, with the process killed). */
export function runFleet(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; dataDir?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fleetBin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env, FLEET_DATA_DIR: options.dataDir ?? tempDir('data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Served {
  readonly port: number;
  readonly token: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** The session cookie, as the browser holds it after opening the printed URL. */
  readonly cookie: string;
  output(): string;
  /** Whether the server process is still running. */
  alive(): boolean;
  close(): Promise<void>;
}

/** A renderer folder with just index.html: the server is under test here, not the UI. */
export function rendererDir(): string {
  const dir = tempDir('renderer');
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Homelab Fleet</title>');
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log("app")');
  return dir;
}

/** Start the real `fleet serve` (bin/fleet.js) and trade its token for the session cookie. */
export async function startServe(options: { flake?: string; dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Served> {
  const dataDir = options.dataDir ?? tempDir('data');
  const args = [fleetBin, ...(options.flake ? ['--flake', options.flake] : []), 'serve', '--port', '0', '--renderer', rendererDir()];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env, FLEET_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<URL>((resolve, reject) => {
    const check = () => {
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(output);
      if (match) resolve(new URL(match[0]));
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`fleet serve exited with ${code}:\n${output}`)));
  });
  const port = Number(url.port);
  const token = url.searchParams.get('token') ?? '';
  const login = await rawHttp(port, `GET /?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  const cookie = /Set-Cookie: ([^;]+);/i.exec(login)?.[1] ?? '';
  return {
    port,
    token,
    dataDir,
    child,
    cookie,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** Send raw bytes on a fresh TCP connection and collect everything the server answers until it closes. */
export function rawHttp(port: number, data: string | Buffer, options: { idleMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('connect', () => socket.write(data));
    // A server that keeps the socket open after answering is fine: stop after a quiet spell.
    socket.setTimeout(options.idleMs ?? 3000, () => socket.destroy());
    socket.on('close', () => resolve(answer));
    socket.on('error', () => undefined);
  });
}

/** The status code of a raw HTTP answer, or 0 when the server answered nothing. */
export function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

/** A plain GET with the session cookie: does the server still serve? */
export async function stillServes(served: Served): Promise<boolean> {
  const answer = await rawHttp(served.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${served.port}\r\nCookie: ${served.cookie}\r\nConnection: close\r\n\r\n`);
  return served.alive() && statusOf(answer) === 200 && answer.includes('Homelab Fleet');
}

export interface BridgeClient {
  call(name: string, input?: unknown): Promise<WireReply<unknown>>;
  /** Send a raw text message; the next answer without a matching id comes back. */
  sendRaw(text: string): Promise<{ id: number | null; reply: WireReply<unknown> }>;
  /** Send several calls without waiting between them; answers in the order of the calls. */
  callAll(calls: readonly (readonly [string, unknown])[]): Promise<WireReply<unknown>[]>;
  readonly events: FleetEvent[];
  close(): void;
}

/** A WebSocket client of the bridge, logged in with the session cookie. */
export function connectBridge(served: Served): Promise<BridgeClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${served.port}/ws`, { headers: { Cookie: served.cookie } });
    const waiting = new Map<number, (reply: WireReply<unknown>) => void>();
    const unmatched: ((message: { id: number | null; reply: WireReply<unknown> }) => void)[] = [];
    const events: FleetEvent[] = [];
    let nextId = 1;
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number | null; reply?: WireReply<unknown>; event?: FleetEvent };
      if (message.event) events.push(message.event);
      else if (typeof message.id === 'number' && waiting.has(message.id)) {
        waiting.get(message.id)!(message.reply!);
        waiting.delete(message.id);
      } else unmatched.shift()?.({ id: message.id ?? null, reply: message.reply! });
    });
    ws.on('error', reject);
    ws.on('open', () => {
      const send = (name: string, input: unknown) => {
        const id = nextId++;
        const answer = new Promise<WireReply<unknown>>((r) => waiting.set(id, r));
        ws.send(JSON.stringify({ id, name, input }));
        return answer;
      };
      resolve({
        call: (name, input = {}) => send(name, input),
        callAll: (calls) => Promise.all(calls.map(([name, input]) => send(name, input))),
        sendRaw: (text) =>
          new Promise((r) => {
            unmatched.push(r);
            ws.send(text);
          }),
        events,
        close: () => ws.close(),
      });
    });
  });
}

/** Wait until `check` holds (events arrive on their own time); fails with `what` after `ms`. */
export async function waitFor(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
