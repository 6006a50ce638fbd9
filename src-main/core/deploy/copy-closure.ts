import { FleetError } from '../contract';
import { queryPathInfo, type PathInfo } from '../nix/path-info';
import type { HostSession } from './host-session';
import type { SharedNars } from './nar';
import { HostServe, referencesFirst, type NarDump, type TransferStats } from './serve-copy';
import type { NarInfo } from './serve-protocol';
import { formatBytes } from '../../shared/units';

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
  /**
   * Called with what the host lacks before anything is sent (after substituteOnTarget): let it
   * fetch some of it elsewhere (the homelab's cache) and answer what is still missing.
   */
  readonly beforeSend?: (missing: readonly string[], sizeOf: (path: string) => number, stillMissing: (paths: readonly string[]) => Promise<string[]>) => Promise<string[]>;
  /** Where NARs come from (see HostServe.add); the default serialises them here. */
  readonly narSource?: 'here' | 'nix-store' | NarDump;
  /** The in-flight allowance, when not the default floor (see AddOptions.inFlight): for the bench's comparisons. */
  readonly inFlight?: number | 'adaptive';
  /** The closure, when the caller already read it (several hosts deployed the same configuration). */
  readonly closure?: Promise<Map<string, ClosurePath>>;
  /** NARs read once for all hosts of the deploy (several hosts lack the same paths). */
  readonly nars?: SharedNars;
}

export interface CopyResult {
  /** Store paths in the closure. */
  readonly closurePaths: number;
  readonly closureBytes: number;
  /** What was actually sent. */
  readonly copiedPaths: number;
  readonly copiedBytes: number;
  /** How the bytes went out (window waits, reading here, the host's tail), when anything was sent. */
  readonly transfer?: TransferStats;
}

/** One store path of a closure, as the host needs it described. */
export type ClosurePath = NarInfo;

/** Store paths of a closure with their NAR hashes, sizes and references (local `nix path-info -r --json`). */
export async function localClosure(roots: readonly string[], options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<Map<string, ClosurePath>> {
  // A .drv given to `nix path-info` means its outputs (nix 2.8); --derivation means the file itself.
  const derivation = roots.length > 0 && roots.every((r) => r.endsWith('.drv'));
  let infos: Map<string, PathInfo>;
  try {
    infos = await queryPathInfo(roots, { recursive: true, derivation }, options);
  } catch (error) {
    if (error instanceof FleetError && error.code === 'cancelled') throw error;
    throw new FleetError('copy-failed', `Could not read the closure of ${roots.join(' ')}: ${(error as Error).message}`);
  }
  return closurePathsOf(infos);
}

/** `nix path-info -r --json` entries (this machine's or a host's) as a copy describes them to the host. */
export function closurePathsOf(infos: ReadonlyMap<string, PathInfo>): Map<string, ClosurePath> {
  const paths = new Map<string, ClosurePath>();
  for (const [p, e] of infos) {
    if (!e.narHash || e.narSize === undefined) throw new FleetError('copy-failed', `nix path-info gave no NAR hash or size for ${p}.`);
    paths.set(p, {
      path: p,
      narHash: e.narHash,
      narSize: e.narSize,
      references: e.references,
      ...(e.deriver ? { deriver: e.deriver } : {}),
      sigs: e.signatures,
      ...(e.ca ? { ca: e.ca } : {}),
    });
  }
  return paths;
}

/**
 * The closures of every root a deploy copies, read with ONE `nix path-info -r` for all of
 * them (hosts deployed together share most of their paths) and cut per root here.
 */
export class SharedClosures {
  private all?: Promise<Map<string, ClosurePath>>;

  constructor(
    private readonly roots: readonly string[],
    private readonly options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
  ) {}

  async of(root: string): Promise<Map<string, ClosurePath>> {
    this.all ??= localClosure([...new Set(this.roots)], this.options);
    const all = await this.all;
    if (!all.has(root)) return localClosure([root], this.options);
    const closure = new Map<string, ClosurePath>();
    const queue = [root];
    for (let p = queue.pop(); p !== undefined; p = queue.pop()) {
      const info = all.get(p);
      if (!info || closure.has(p)) continue;
      closure.set(p, info);
      queue.push(...info.references);
    }
    return closure;
  }
}

/**
 * Copy the closure of `roots` to the host over its existing connection. The host's
 * `nix-store --serve --write` starts while the closure is read here; it answers which
 * paths it lacks (one round trip, and keeps the ones it has from its garbage collector)
 * and then takes exactly those, references first, in one stream. Nothing is sent when the
 * host has everything.
 */
export async function copyClosure(session: HostSession, roots: readonly string[], options: CopyOptions = {}): Promise<CopyResult> {
  const env = options.env ?? process.env;
  const signal = options.signal ? { signal: options.signal } : {};
  const opening = HostServe.open(session, { ...signal, ...(options.importAsRoot ? { importAsRoot: true } : {}) });
  opening.catch(() => undefined);
  let closure: Map<string, ClosurePath>;
  try {
    closure = await (options.closure ?? localClosure(roots, { env, ...signal }));
  } catch (error) {
    void opening.then((s) => s.close(), () => undefined);
    throw error;
  }
  const serve = await opening;
  try {
    const sizeOf = (p: string) => closure.get(p)?.narSize ?? 0;
    const closureBytes = [...closure.keys()].reduce((a, p) => a + sizeOf(p), 0);
    let missing = await serve.missing([...closure.keys()]);
    if (options.substituteOnTarget && missing.length > 0) {
      options.log?.(`asking ${session.connection.config.alias} to fetch ${missing.length} paths from its binary caches first`);
      // Failures are expected (a path no cache has); whatever is still missing is sent below.
      await session.connection.exec(['xargs', 'nix-store', '--realise', '--keep-going'], {
        stdin: missing.join('\n') + '\n',
        onStderrLine: (l) => options.log?.(l),
        ...signal,
      });
      missing = await serve.missing(missing);
    }
    if (options.beforeSend && missing.length > 0) missing = await options.beforeSend(missing, sizeOf, (paths) => serve.missing(paths));
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
    const ordered = referencesFirst(missing, (p) => closure.get(p)?.references ?? []).map((p) => closure.get(p)!);
    const transfer = await serve.add(ordered, {
      env,
      ...(options.narSource ? { narSource: options.narSource } : {}),
      ...(options.inFlight ? { inFlight: options.inFlight } : {}),
      ...(options.nars ? { nars: options.nars } : {}),
      onBytes: (n) => {
        bytesDone += n;
        report();
      },
      onPath: () => {
        pathsDone++;
        report();
      },
    });
    report(true);
    await serve.finish();
    return { ...base, copiedPaths: missing.length, copiedBytes: bytesDone, ...(transfer ? { transfer } : {}) };
  } finally {
    serve.close();
  }
}
