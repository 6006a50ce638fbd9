import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import * as adbkit from '@devicefarmer/adbkit';
import type { Client } from '@devicefarmer/adbkit';

// adbkit is CommonJS: Node's ESM loader exposes it only as `default`; bundlers as named exports.
const Adb: typeof adbkit.Adb = (adbkit as { Adb?: typeof adbkit.Adb }).Adb ?? (adbkit as unknown as { default: { Adb: typeof adbkit.Adb } }).default.Adb;
import { FleetError } from '../contract';
import { runProcess } from '../process/run';

/** Where the adb server is and which adb program starts it. */
export interface AdbServerAddress {
  readonly host: string;
  readonly port: number;
  /** The adb program, or undefined when none was found. */
  readonly bin?: string;
}

const defaultPort = 5037;

/**
 * The adb server the user's own `adb` talks to: ANDROID_ADB_SERVER_PORT (as adb reads it),
 * else 5037; the program from FLEET_ADB, else `adb` on PATH, else the SDK's platform-tools.
 */
export function adbServerAddress(env: NodeJS.ProcessEnv): AdbServerAddress {
  const rawPort = env.ANDROID_ADB_SERVER_PORT?.trim();
  let port = defaultPort;
  if (rawPort) {
    port = Number(rawPort);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new FleetError('invalid-input', `ANDROID_ADB_SERVER_PORT is "${rawPort}", not a port number.`, {
        hint: 'Set it to the port your adb server listens on (default 5037), or unset it.',
      });
    }
  }
  const host = env.ANDROID_ADB_SERVER_ADDRESS?.trim() || '127.0.0.1';
  const bin = findAdb(env);
  return { host, port, ...(bin ? { bin } : {}) };
}

function findAdb(env: NodeJS.ProcessEnv): string | undefined {
  if (env.FLEET_ADB) return fs.existsSync(env.FLEET_ADB) ? env.FLEET_ADB : undefined;
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const sdk of [env.ANDROID_HOME, env.ANDROID_SDK_ROOT]) if (sdk) dirs.push(path.join(sdk, 'platform-tools'));
  for (const dir of dirs) {
    const candidate = path.join(dir, 'adb');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The error when there is no adb program, saying how to get one. */
export function adbMissingError(): FleetError {
  return new FleetError('adb-missing', 'The adb program (Android platform tools) is not installed.', {
    hint: 'Install it (Debian/Ubuntu: apt install adb; Nix: nix shell nixpkgs#android-tools; macOS: brew install android-platform-tools) or point FLEET_ADB at it.',
  });
}

/**
 * Run the adb program with an argument array through the one process runner; resolves with
 * its output whatever the exit code. An adb that does not answer within `timeoutMs` (default
 * 30 s) is stopped and reported as FleetError('timeout').
 */
export async function runAdb(
  address: AdbServerAddress,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = address.bin;
  if (!bin) throw adbMissingError();
  const result = await runProcess(bin, ['-P', String(address.port), ...args], {
    stdin: options.input ?? '',
    timeoutMs: options.timeoutMs ?? 30_000,
    killGraceMs: 500,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code: result.code ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Does anything listen on the adb server's address? (Asking adbkit would start a server itself.) */
function serverListening(address: AdbServerAddress): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.host, port: address.port });
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * An adbkit client for the adb server, starting the server first when nothing listens
 * (`adb start-server`, as adb itself does). Explains a missing adb program.
 */
export async function openAdbClient(address: AdbServerAddress): Promise<Client> {
  if (!(await serverListening(address))) {
    if (!address.bin) throw adbMissingError();
    const started = await runAdb(address, ['start-server'], { timeoutMs: 20_000 });
    if (started.code !== 0) {
      throw new FleetError('adb-server', `Could not start the adb server on port ${address.port}: ${started.stderr.trim() || started.stdout.trim()}`, {
        hint: 'Run `adb start-server` yourself to see why; another program may hold the port.',
      });
    }
  }
  const client = Adb.createClient({ host: address.host, port: address.port, ...(address.bin ? { bin: address.bin } : {}) });
  try {
    await client.version();
    return client;
  } catch (error) {
    throw serverError(address, error);
  }
}

function serverError(address: AdbServerAddress, error: unknown): FleetError {
  const message = error instanceof Error ? error.message : String(error);
  return new FleetError('adb-server', `The adb server on ${address.host}:${address.port} does not answer: ${message}`, {
    hint: 'Restart it with `adb kill-server && adb start-server`. If it runs on another port, set ANDROID_ADB_SERVER_PORT.',
  });
}
