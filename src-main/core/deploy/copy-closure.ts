import { FleetError } from '../contract';
import { runNix } from '../nix/runner';
import type { HostSession } from './host-session';
import { referencesFirst, serveCopy } from './serve-copy';
import type { NarInfo } from './serve-protocol';
import { formatBytes } from '../units';

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
  /** Let the host fetch missing paths from its own binary caches first (what it cannot fetch is sent). */
  readonly substituteOnTarget?: boolean;
  /** Parallel streams for a big layer of independent paths (default 1: on the 2-core test machine a second stream gained nothing, see docs/BENCHMARKS.md). */
  readonly streams?: number;
}

export interface CopyResult {
  /** Store paths in the closure. */
  readonly closurePaths: number;
  readonly closureBytes: number;
  /** What was actually sent. */
  readonly copiedPaths: number;
  readonly copiedBytes: number;
}

/** One store path of a closure, as the host needs it described. */
export type ClosurePath = NarInfo;

interface PathInfoJson {
  readonly path?: string;
  readonly narHash?: string;
  readonly narSize?: number;
  readonly references?: readonly string[];
  readonly deriver?: string | null;
  readonly signatures?: readonly string[];
  readonly ca?: string | null;
}

/** Store paths of a closure with their NAR hashes, sizes and references (local `nix path-info -r --json`). */
export async function localClosure(roots: readonly string[], options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<Map<string, ClosurePath>> {
  // A .drv given to `nix path-info` means its outputs (nix 2.8); --derivation means the file itself.
  const derivations = roots.length > 0 && roots.every((r) => r.endsWith('.drv')) ? ['--derivation'] : [];
  const result = await runNix(['path-info', '--json', '-r', ...derivations, ...roots], { ...options });
  if (result.code !== 0) throw new FleetError('copy-failed', `Could not read the closure of ${roots.join(' ')}: ${result.stderr.trim()}`);
  const parsed = JSON.parse(result.stdout) as PathInfoJson[] | Record<string, PathInfoJson | null>;
  // nix < 2.19 prints an array, newer ones an object keyed by path.
  const entries: [string, PathInfoJson][] = Array.isArray(parsed)
    ? parsed.flatMap((e) => (e.path ? [[e.path, e] as [string, PathInfoJson]] : []))
    : Object.entries(parsed).flatMap(([p, e]) => (e ? [[p, e] as [string, PathInfoJson]] : []));
  const full = (r: string) => (r.startsWith('/') ? r : `/nix/store/${r}`);
  const paths = new Map<string, ClosurePath>();
  for (const [p, e] of entries) {
    if (!e.narHash || e.narSize === undefined) throw new FleetError('copy-failed', `nix path-info gave no NAR hash or size for ${p}.`);
    paths.set(p, {
      path: p,
      narHash: e.narHash,
      narSize: e.narSize,
      references: (e.references ?? []).map(full),
      ...(e.deriver ? { deriver: full(e.deriver) } : {}),
      sigs: e.signatures ?? [],
      ...(e.ca ? { ca: e.ca } : {}),
    });
  }
  return paths;
}

/**
 * Group missing paths into layers: a path's layer comes after every layer holding one of
 * its references, so each layer can go once the layers before it are in (the host refuses
 * a path whose references are not valid yet).
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
    for (const r of closure.get(p)?.references ?? []) if (wanted.has(r) && r !== p) d = Math.max(d, depthOf(r, seen) + 1);
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
 * it lacks (one round trip), then stream exactly those, references first, in one stream
 * speaking nix's serve protocol (the host hashes and stores each NAR as it arrives).
 * Nothing is sent when the host has everything.
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
  let bytesDone = 0;
  let pathsDone = 0;
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!force && now - lastReport < 100) return;
    lastReport = now;
    options.onProgress?.({ pathsDone, pathsTotal: missing.length, bytesDone, bytesTotal });
  };
  const copyOptions = {
    env,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.importAsRoot ? { importAsRoot: true } : {}),
    onBytes: (n: number) => {
      bytesDone += n;
      report();
    },
    onPath: () => {
      pathsDone++;
      report();
    },
  };
  const streams = Math.max(1, options.streams ?? 1);
  for (const layer of importLayers(missing, closure)) {
    const layerBytes = layer.reduce((n, p) => n + sizeOf(p), 0);
    // A big layer goes as parallel streams (channels of the same connection), so the host
    // hashes and writes on more than one core; small ones are not worth a channel.
    const groups = layerBytes < 32 * 1024 * 1024 ? [layer] : balance(layer, sizeOf, streams);
    await Promise.all(groups.map((group) => serveCopy(session, referencesFirst(group, (p) => closure.get(p)?.references ?? []).map((p) => closure.get(p)!), copyOptions)));
  }
  report(true);
  return { ...base, copiedPaths: missing.length, copiedBytes: bytesDone };
}

