import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServeHandle {
  /** The URL with the token, as printed by `fleet serve`. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  readonly dataDir: string;
  readonly output: () => string;
  close(): Promise<void>;
}

/**
 * Start the real `fleet serve` (bin/fleet.js) on a checkout with its own data folder and
 * wait for the URL it prints. The renderer must be built (npm run build) first.
 */
export async function startServe(options: { flake?: string; dataDir?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ServeHandle> {
  if (!fs.existsSync(path.join(repoRoot, 'out/renderer/index.html'))) {
    throw new Error('The renderer is not built: run `npm run build` (npm test does it first).');
  }
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-e2e-data-'));
  const args = [path.join(repoRoot, 'bin/fleet.js'), ...(options.flake ? ['--flake', options.flake] : []), 'serve', '--port', '0'];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env, FLEET_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fleet serve printed no URL in 30 s:\n${output}`)), 30_000);
    const check = () => {
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fleet serve exited with ${code}:\n${output}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    port: Number(parsed.port),
    token: parsed.searchParams.get('token') ?? '',
    dataDir,
    output: () => output,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
