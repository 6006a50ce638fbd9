/**
 * The one reader of `nix path-info --json`, on every nix the app supports. The shape moved
 * twice: nix < 2.19 (and Lix) print an array of {path, ...}; 2.19+ an object keyed by full
 * store path (null for an invalid path); 2.34 warns that `--json` needs `--json-format`,
 * where format 1 is that same object and 2 uses base names and structured hashes. The app
 * asks for format 1 where the flag exists, and reads all three shapes.
 */
import { FleetError } from '../contract';
import { nixErrorFromStderr } from './nix-errors';
import { runNix, type NixRunOptions } from './runner';
import { installedNixFeatures, type NixFeatures } from './nix-info';

/** One valid store path as `nix path-info --json` describes it. */
export interface PathInfo {
  readonly path: string;
  readonly narHash?: string;
  readonly narSize?: number;
  /** Only with `closureSize: true`. */
  readonly closureSize?: number;
  /** Full store paths. */
  readonly references: readonly string[];
  readonly deriver?: string;
  readonly signatures: readonly string[];
  readonly ca?: string;
}

export interface PathInfoQuery {
  /** The whole closure of each path (`-r`). */
  readonly recursive?: boolean;
  /** Closure sizes (`-S`). */
  readonly closureSize?: boolean;
  /** The .drv files themselves, not their outputs. */
  readonly derivation?: boolean;
}

const STORE_DIR = '/nix/store';

function fullPath(p: string, storeDir = STORE_DIR): string {
  return p.startsWith('/') ? p : `${storeDir}/${p}`;
}

/** The words after `nix` for a path-info query on a nix with these features. */
export function pathInfoArgs(paths: readonly string[], query: PathInfoQuery, features?: Pick<NixFeatures, 'pathInfoJsonFormat'>): string[] {
  return [
    'path-info',
    '--json',
    ...(features?.pathInfoJsonFormat ? ['--json-format', '1'] : []),
    ...(query.recursive ? ['--recursive'] : []),
    ...(query.closureSize ? ['--closure-size'] : []),
    ...(query.derivation ? ['--derivation'] : []),
    ...paths,
  ];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A structured hash of format 2 ({algorithm, format, hash}) or a plain string. */
function hashText(value: unknown): string | undefined {
  if (typeof value === 'string') return value || undefined;
  if (value && typeof value === 'object') {
    const { algorithm, hash } = value as { algorithm?: unknown; hash?: unknown };
    if (typeof algorithm === 'string' && typeof hash === 'string') return `${algorithm}-${hash}`;
  }
  return undefined;
}

function entry(p: string, raw: unknown, storeDir: string): PathInfo | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (r.valid === false) return undefined;
  const references = Array.isArray(r.references) ? r.references.filter((x): x is string => typeof x === 'string').map((x) => fullPath(x, storeDir)) : [];
  const signatures = Array.isArray(r.signatures)
    ? r.signatures.flatMap((s) => (typeof s === 'string' ? [s] : s && typeof s === 'object' && typeof (s as { keyName?: unknown }).keyName === 'string' ? [`${(s as { keyName: string }).keyName}:${String((s as { sig?: unknown }).sig ?? '')}`] : []))
    : [];
  const deriver = text(r.deriver);
  const ca = typeof r.ca === 'string' ? text(r.ca) : undefined;
  const narHash = hashText(r.narHash);
  return {
    path: fullPath(p, storeDir),
    ...(narHash ? { narHash } : {}),
    ...(typeof r.narSize === 'number' ? { narSize: r.narSize } : {}),
    ...(typeof r.closureSize === 'number' ? { closureSize: r.closureSize } : {}),
    references,
    ...(deriver ? { deriver: fullPath(deriver, storeDir) } : {}),
    signatures,
    ...(ca ? { ca } : {}),
  };
}

/**
 * Read `nix path-info --json` output of any supported nix into a map by full store path.
 * Invalid paths (null, or {valid: false}) are left out. Throws a FleetError on anything else.
 */
export function parsePathInfoJson(stdout: string): Map<string, PathInfo> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new FleetError('failed', 'nix path-info printed something that is not JSON.');
  }
  const map = new Map<string, PathInfo>();
  const add = (p: unknown, raw: unknown, storeDir: string) => {
    if (typeof p !== 'string' || p === '') return;
    const info = entry(p, raw, storeDir);
    if (info) map.set(info.path, info);
  };
  if (Array.isArray(parsed)) {
    for (const e of parsed) add((e as { path?: unknown } | null)?.path, e, STORE_DIR);
  } else if (parsed && typeof parsed === 'object') {
    const record = parsed as Record<string, unknown>;
    // Format 2: {version: 2, storeDir, info: {<base name>: {...}}}
    if (typeof record.version === 'number' && record.info && typeof record.info === 'object') {
      const storeDir = typeof record.storeDir === 'string' ? record.storeDir : STORE_DIR;
      for (const [p, e] of Object.entries(record.info as Record<string, unknown>)) add(p, e, storeDir);
    } else {
      for (const [p, e] of Object.entries(record)) add(p, e, STORE_DIR);
    }
  } else {
    throw new FleetError('failed', 'nix path-info printed neither a list nor an object.');
  }
  return map;
}

/**
 * `nix path-info --json` of local store paths, with the flags the installed nix wants.
 * Throws nix's own error (as a FleetError) when a path is not valid or nix fails.
 */
export async function queryPathInfo(paths: readonly string[], query: PathInfoQuery, options: NixRunOptions = {}): Promise<Map<string, PathInfo>> {
  if (paths.length === 0) return new Map();
  const features = await installedNixFeatures(options.env ?? process.env, options.nix);
  const result = await runNix(pathInfoArgs(paths, query, features), options);
  if (result.code !== 0) throw nixErrorFromStderr(result.stderr, { fallback: `nix path-info ${paths.join(' ')} failed` });
  return parsePathInfoJson(result.stdout);
}

/** Sizes of a store path and its closure. */
export interface ClosureInfo {
  readonly path: string;
  /** Bytes of this path alone. */
  readonly narSize: number;
  /** Bytes of the path and everything it references, recursively. */
  readonly closureSize: number;
  /** How many store paths the closure holds. */
  readonly paths: number;
}

/**
 * Closure sizes of store paths (`nix path-info -rS --json`), on any supported nix.
 */
export async function closureInfo(paths: readonly string[], options: NixRunOptions = {}): Promise<ClosureInfo[]> {
  if (paths.length === 0) return [];
  const entries = await queryPathInfo(paths, { recursive: true, closureSize: true }, options);
  return paths.map((p) => {
    const own = entries.get(p);
    return {
      path: p,
      narSize: own?.narSize ?? 0,
      closureSize: own?.closureSize ?? 0,
      paths: closureCount(p, entries),
    };
  });
}

function closureCount(root: string, entries: ReadonlyMap<string, { readonly references: readonly string[] }>): number {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    for (const r of entries.get(p)?.references ?? []) if (!seen.has(r)) stack.push(r);
  }
  return seen.size;
}
