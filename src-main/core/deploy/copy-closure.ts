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
  /** Parallel export|import streams for a big layer of paths (default 2). */
  readonly streams?: number;
  /** Let the host fetch missing paths from its own binary caches first (what it cannot fetch is sent). */
  readonly substituteOnTarget?: boolean;
}

export interface CopyResult {
  /** Store paths in the closure. */
  readonly closurePaths: number;
  readonly closureBytes: number;
  /** What was actually sent. */
  readonly copiedPaths: number;
  readonly copiedBytes: number;
}

/** One store path of a closure: its NAR size and what it references. */
export interface ClosurePath {
  readonly narSize: number;
  readonly references: readonly string[];
}

/** Store paths of a closure with their NAR sizes and references (local `nix path-info -r --json`). */
export async function localClosure(roots: readonly string[], options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<Map<string, ClosurePath>> {
  const result = await runNix(['path-info', '--json', '-r', ...roots], { ...options });
  if (result.code !== 0) throw new FleetError('copy-failed', `Could not read the closure of ${roots.join(' ')}: ${result.stderr.trim()}`);
  const paths = new Map<string, ClosurePath>();
  for (const [p, e] of parsePathInfo(result.stdout)) {
    const references = (e.references ?? []).map((r) => (r.startsWith('/') ? r : `/nix/store/${r}`)).filter((r) => r !== p);
    paths.set(p, { narSize: e.narSize ?? 0, references });
  }
  return paths;
}

/**
 * Group missing paths into layers: a path's layer comes after every layer holding one of
 * its references, so each layer can be imported once the layers before it are in (the
 * host refuses a path whose references are not valid yet).
 */
export function importLayers(missing: readonly string[], closure: ReadonlyMap<string, ClosurePath>): string[][] {
  const wanted = new Set(missing);
  const depth = new Map<string, number>();
  const depthOf = (p: string, seen: Set<string>): number => {
    const known = depth.get(p);
    if (known !== undefined) return known;
    if (seen.has(p)) return 0;
    seen.add(p);
    let d = 0;
    for (const r of closure.get(p)?.references ?? []) if (wanted.has(r)) d = Math.max(d, depthOf(r, seen) + 1);
    depth.set(p, d);
    return d;
  };
  for (const p of missing) depthOf(p, new Set());
  const layers: string[][] = [];
  for (const p of missing) (layers[depth.get(p) ?? 0] ??= []).push(p);
  return layers.filter((l) => l && l.length > 0);
}

/** Split paths into at most `n` groups of about equal bytes (largest first). */
export function balance(paths: readonly string[], sizeOf: (p: string) => number, n: number): string[][] {
  const groups = Array.from({ length: Math.max(1, Math.min(n, paths.length)) }, () => ({ bytes: 0, paths: [] as string[] }));
  for (const p of [...paths].sort((a, b) => sizeOf(b) - sizeOf(a))) {
    const lightest = groups.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.paths.push(p);
    lightest.bytes += sizeOf(p);
  }
  return groups.map((g) => g.paths).filter((g) => g.length > 0);
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
 * it lacks (one round trip), then stream exactly those, `nix-store --export` here piped
 * into `nix-store --import` there. Paths are imported in dependency layers; a big layer
 * goes as a few parallel streams (channels of the same connection), so the host's hashing
 * and writing uses more than one core. Nothing is sent when the host has everything.
 */
export async function copyClosure(session: HostSession, roots: readonly string[], options: CopyOptions = {}): Promise<CopyResult> {
  const env = options.env ?? process.env;
  const closure = await localClosure(roots, { env, ...(options.signal ? { signal: options.signal } : {}) });
  const sizeOf = (p: string) => closure.get(p)?.narSize ?? 0;
  const closureBytes = [...closure.keys()].reduce((a, p) => a + sizeOf(p), 0);
  let missing = await missingOnHost(session, [...closure.keys()], options.signal);
  if (options.substituteOnTarget && missing.length > 0) {
    options.log?.(`asking ${session.connection.config.alias} to fetch ${missing.length} paths from its binary caches first`);
    // Failures are expected (a path no cache has); whatever is still missing is sent below.
    await session.connection.exec(['xargs', 'nix-store', '--realise', '--keep-going'], {
      stdin: missing.join('\n') + '\n',
      onStderrLine: (l) => options.log?.(l),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    missing = await missingOnHost(session, missing, options.signal);
  }
  const bytesTotal = missing.reduce((n, p) => n + sizeOf(p), 0);
  const base = { closurePaths: closure.size, closureBytes };
  if (missing.length === 0) {
    options.onProgress?.({ pathsDone: 0, pathsTotal: 0, bytesDone: 0, bytesTotal: 0 });
    return { ...base, copiedPaths: 0, copiedBytes: 0 };
  }
  options.log?.(`copying ${missing.length} of ${closure.size} paths (${formatBytes(bytesTotal)}) to ${session.connection.config.alias}`);
  const progress = { pathsDone: 0, bytesDone: 0, lastReport: 0 };
  const report = (force = false) => {
    const now = Date.now();
    if (!force && now - progress.lastReport < 100) return;
    progress.lastReport = now;
    options.onProgress?.({ pathsDone: progress.pathsDone, pathsTotal: missing.length, bytesDone: progress.bytesDone, bytesTotal });
  };
  const streams = Math.max(1, options.streams ?? 2);
  for (const layer of importLayers(missing, closure)) {
    const layerBytes = layer.reduce((n, p) => n + sizeOf(p), 0);
    // Small layers are not worth a second channel.
    const groups = layerBytes < 16 * 1024 * 1024 ? [layer] : balance(layer, sizeOf, streams);
    await Promise.all(groups.map((group) => exportImport(session, group, env, options, progress, report)));
  }
  progress.pathsDone = missing.length;
  report(true);
  return { ...base, copiedPaths: missing.length, copiedBytes: progress.bytesDone };
}

/** One stream: export `paths` here, import them there. */
async function exportImport(
  session: HostSession,
  paths: readonly string[],
  env: NodeJS.ProcessEnv,
  options: CopyOptions,
  progress: { pathsDone: number; bytesDone: number },
  report: (force?: boolean) => void,
): Promise<void> {
  const nixStore = path.join(path.dirname(requireNix(env)), 'nix-store');
  const exporter = spawn(nixStore, ['--export', ...paths], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let exportErr = '';
  exporter.stderr.setEncoding('utf8');
  exporter.stderr.on('data', (c: string) => (exportErr = (exportErr + c).slice(-8192)));
  const exported = new Promise<number | null>((resolve) => exporter.on('close', (code) => resolve(code)));
  exporter.on('error', (e) => (exportErr += e.message));
  const counter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      progress.bytesDone += chunk.length;
      report();
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
          progress.pathsDone++;
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
        hint: /No space left/i.test(why)
          ? "The host's disk is full: collect garbage there (nix-collect-garbage -d) and deploy again."
          : /trusted|signature/i.test(why)
            ? "The login user is not trusted by the host's nix-daemon: deploy as root, enable sudo for this host, or add the user to trusted-users."
            : undefined,
      });
    }
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
