import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { FleetError } from '../contract';
import { parsePathInfo, requireNix, runNix } from '../nix/runner';
import type { HostSession } from './host-session';

/** Progress of a closure copy. */
export interface CopyProgress {
  readonly pathsDone: number;
  readonly pathsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface CopyOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: CopyProgress) => void;
  readonly log?: (text: string) => void;
  /** Import as root (a non-root login user may not be trusted by the host's nix-daemon). */
  readonly importAsRoot?: boolean;
}

export interface CopyResult {
  /** Store paths in the closure. */
  readonly closurePaths: number;
  readonly closureBytes: number;
  /** What was actually sent. */
  readonly copiedPaths: number;
  readonly copiedBytes: number;
}

/** Store paths of a closure with their NAR sizes (local `nix path-info -r --json`). */
export async function localClosure(roots: readonly string[], options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<Map<string, number>> {
  const result = await runNix(['path-info', '--json', '-r', ...roots], { ...options });
  if (result.code !== 0) throw new FleetError('copy-failed', `Could not read the closure of ${roots.join(' ')}: ${result.stderr.trim()}`);
  const sizes = new Map<string, number>();
  for (const [p, e] of parsePathInfo(result.stdout)) sizes.set(p, e.narSize ?? 0);
  return sizes;
}

// One remote argument may not exceed 128 KiB (the whole command is `sh -c <line>`):
// beyond that the path list goes through stdin and xargs.
const maxInlineArgs = 96 * 1024;

/** Which of `paths` the host does not have, in one round trip. */
export async function missingOnHost(session: HostSession, paths: readonly string[], signal?: AbortSignal): Promise<string[]> {
  if (paths.length === 0) return [];
  const inline = paths.reduce((n, p) => n + p.length + 1, 0) < maxInlineArgs;
  const result = inline
    ? await session.connection.exec(['nix-store', '--check-validity', '--print-invalid', ...paths], { ...(signal ? { signal } : {}) })
    : await session.connection.exec(['xargs', 'nix-store', '--check-validity', '--print-invalid'], {
        stdin: paths.join('\n') + '\n',
        ...(signal ? { signal } : {}),
      });
  if (result.code !== 0) {
    throw new FleetError('copy-failed', `${session.connection.config.alias} could not check its store: ${result.stderr.trim() || `exit code ${result.code}`}`, {
      hint: 'Is nix installed on the host, and nix-store on the PATH of non-interactive SSH sessions?',
    });
  }
  const wanted = new Set(paths);
  return result.stdout.split('\n').map((l) => l.trim()).filter((l) => wanted.has(l));
}

/**
 * Copy the closure of `roots` to the host over its existing connection: ask which paths
 * it lacks (one round trip), then stream exactly those as one `nix-store --export` piped
 * into `nix-store --import` on the host. Nothing is sent when the host has everything.
 */
export async function copyClosure(session: HostSession, roots: readonly string[], options: CopyOptions = {}): Promise<CopyResult> {
  const env = options.env ?? process.env;
  const sizes = await localClosure(roots, { env, ...(options.signal ? { signal: options.signal } : {}) });
  const closureBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
  const missing = await missingOnHost(session, [...sizes.keys()], options.signal);
  const bytesTotal = missing.reduce((n, p) => n + (sizes.get(p) ?? 0), 0);
  const base = { closurePaths: sizes.size, closureBytes };
  if (missing.length === 0) {
    options.onProgress?.({ pathsDone: 0, pathsTotal: 0, bytesDone: 0, bytesTotal: 0 });
    return { ...base, copiedPaths: 0, copiedBytes: 0 };
  }
  options.log?.(`copying ${missing.length} of ${sizes.size} paths (${formatBytes(bytesTotal)}) to ${session.connection.config.alias}`);

  const nixStore = path.join(path.dirname(requireNix(env)), 'nix-store');
  const exporter = spawn(nixStore, ['--export', ...missing], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let exportErr = '';
  exporter.stderr.setEncoding('utf8');
  exporter.stderr.on('data', (c: string) => (exportErr = (exportErr + c).slice(-8192)));
  const exported = new Promise<number | null>((resolve) => exporter.on('close', (code) => resolve(code)));
  exporter.on('error', (e) => (exportErr += e.message));

  let bytesDone = 0;
  let pathsDone = 0;
  const report = () => options.onProgress?.({ pathsDone, pathsTotal: missing.length, bytesDone, bytesTotal });
  let lastReport = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      bytesDone += chunk.length;
      const now = Date.now();
      if (now - lastReport > 100) {
        lastReport = now;
        report();
      }
      callback(null, chunk);
    },
  });
  exporter.stdout.pipe(counter);
  const kill = () => {
    try {
      if (exporter.pid) process.kill(-exporter.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  options.signal?.addEventListener('abort', kill, { once: true });
  try {
    const importArgv = ['nix-store', '--import'];
    const execOptions = {
      stdin: counter,
      // nix-store --import prints each path once it is in the store.
      onStdoutLine: (line: string) => {
        if (line.startsWith('/nix/store/')) {
          pathsDone++;
          report();
        }
      },
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const result = options.importAsRoot ? await session.asRoot(importArgv, execOptions) : await session.connection.exec(importArgv, execOptions);
    const exportCode = await exported;
    if (exportCode !== 0) throw new FleetError('copy-failed', `nix-store --export failed here: ${exportErr.trim() || `exit code ${exportCode}`}`);
    if (result.code !== 0) {
      const why = result.stderr.trim().split('\n').slice(-3).join(' ');
      throw new FleetError('copy-failed', `${session.connection.config.alias} could not import the closure: ${why || `exit code ${result.code}`}`, {
        hint: /No space left/i.test(why) ? 'The host\'s disk is full: collect garbage there (nix-collect-garbage -d) and deploy again.' : /trusted|signature/i.test(why) ? 'The login user is not trusted by the host\'s nix-daemon: deploy as root, enable sudo for this host, or add the user to trusted-users.' : undefined,
      });
    }
    pathsDone = missing.length;
    report();
    return { ...base, copiedPaths: missing.length, copiedBytes: bytesDone };
  } catch (error) {
    kill();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', kill);
  }
}

/** "12.3 MiB" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
