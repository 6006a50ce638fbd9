import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trackedState, type TrackedState } from '../git/tracked-state';
import { nixOptionsFromEnv } from '../nix/nix-options';
import { requireNix, requireNixStore, runNix } from '../nix/runner';
import { runProcess } from '../process/run';

/**
 * What the checkout builds, without building: the out paths of every system toplevel and
 * home activation package, one evaluation per kind. The systems view (deploy.status) and
 * every deploy share them through a cache in the data folder, keyed on exactly what the
 * evaluation depends on (see evaluationKey): a deploy right after the view, or again on
 * the same checkout, evaluates nothing; any edit of a tracked file (committed or not) is
 * another key. A deploy whose paths are already in the local store then skips the build.
 */
export interface EvaluatedOutputs {
  readonly system: Readonly<Record<string, string>>;
  readonly home: Readonly<Record<string, string>>;
}

export type OutputKind = keyof EvaluatedOutputs;

export interface OutputsOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  readonly kinds: ReadonlySet<OutputKind>;
  readonly signal?: AbortSignal;
  /** The checkout's tracked state when the caller has read it already (one `git status` less). */
  readonly tracked?: TrackedState;
}

const applyOf: Record<OutputKind, { readonly attr: string; readonly apply: string }> = {
  system: { attr: '.#nixosConfigurations', apply: 'cs: builtins.mapAttrs (n: c: c.config.system.build.toplevel.outPath) cs' },
  home: { attr: '.#homeConfigurations', apply: 'hs: builtins.mapAttrs (n: h: h.activationPackage.outPath) hs' },
};

/** Entries kept: the newest few checkout states. */
const maxEntries = 20;

interface CacheEntry {
  readonly system?: Record<string, string>;
  readonly home?: Record<string, string>;
}

interface CacheFile {
  readonly version: 2;
  /** Newest first. */
  readonly entries: Record<string, CacheEntry>;
}

function cacheFile(dataDir: string): string {
  return path.join(dataDir, 'deploy-eval-cache.json');
}

/**
 * The cache key of an evaluation of `root`: the tracked files as nix sees them (HEAD plus
 * every uncommitted change, git/tracked-state.ts), the lock file as it is on disk (nix
 * writes one when it is missing or untracked), the checkout's path, and the nix that
 * evaluates with its options. Undefined when there is no such key (not git, a merge
 * conflict): then nothing is cached.
 */
export function evaluationKey(root: string, tracked: TrackedState | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (!tracked?.digest) return undefined;
  let lock = 'none';
  try {
    lock = createHash('sha256').update(fs.readFileSync(path.join(root, 'flake.lock'))).digest('hex');
  } catch {
    // no lock file
  }
  let nix: string;
  try {
    nix = fs.realpathSync(requireNix(env));
  } catch {
    return undefined;
  }
  const parts = [root, tracked.digest, lock, nix, JSON.stringify(nixOptionsFromEnv(env)), env.NIX_CONFIG ?? ''];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function readCache(dataDir: string): CacheFile {
  try {
    const parsed = JSON.parse(fs.readFileSync(cacheFile(dataDir), 'utf8')) as Partial<CacheFile>;
    if (parsed.version === 2 && parsed.entries && typeof parsed.entries === 'object') return parsed as CacheFile;
  } catch {
    // missing or unreadable: a cache only
  }
  return { version: 2, entries: {} };
}

function writeCache(dataDir: string, key: string, entry: CacheEntry): void {
  const before = readCache(dataDir);
  const entries = Object.fromEntries([[key, entry] as const, ...Object.entries(before.entries).filter(([k]) => k !== key)].slice(0, maxEntries));
  const file = cacheFile(dataDir);
  // Another process (the CLI beside the app) may read it meanwhile: never a half-written file.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(temporary, JSON.stringify({ version: 2, entries } satisfies CacheFile));
    fs.renameSync(temporary, file);
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}

/** Evaluate (or read from the cache) the out paths of `kinds`; undefined when nix cannot evaluate them all. */
export async function evaluatedOutputs(root: string, options: OutputsOptions): Promise<EvaluatedOutputs | undefined> {
  const tracked = options.tracked ?? (await trackedState(root, options.signal));
  const key = evaluationKey(root, tracked, options.env);
  const cached: CacheEntry = key ? (readCache(options.dataDir).entries[key] ?? {}) : {};
  const missing = [...options.kinds].filter((kind) => cached[kind] === undefined);
  if (missing.length === 0) return { system: cached.system ?? {}, home: cached.home ?? {} };
  const evaluate = async (kind: OutputKind): Promise<Record<string, string> | undefined> => {
    // --apply evaluates inside nix, past what nix's own evaluation cache could answer; turning
    // it off keeps this from waiting on (or failing over) another nix holding that database.
    const result = await runNix(['eval', '--json', '--option', 'eval-cache', 'false', applyOf[kind].attr, '--apply', applyOf[kind].apply], {
      cwd: root,
      env: options.env,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (result.code !== 0) return undefined;
    try {
      const parsed = JSON.parse(result.stdout) as unknown;
      return parsed && typeof parsed === 'object' && Object.values(parsed).every((p) => typeof p === 'string' && p.startsWith('/')) ? (parsed as Record<string, string>) : undefined;
    } catch {
      return undefined;
    }
  };
  const evaluated = await Promise.all(missing.map(async (kind) => [kind, await evaluate(kind)] as const));
  if (evaluated.some(([, paths]) => paths === undefined)) return undefined;
  const entry: CacheEntry = { ...cached, ...Object.fromEntries(evaluated) };
  // Written only when the checkout did not change while nix evaluated it.
  if (key && evaluationKey(root, await trackedState(root, options.signal), options.env) === key) writeCache(options.dataDir, key, entry);
  return { system: entry.system ?? {}, home: entry.home ?? {} };
}

/** Which of `paths` are NOT valid in the local store. */
export async function locallyMissing(paths: readonly string[], env: NodeJS.ProcessEnv): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const nixStore = requireNixStore(env);
  const result = await runProcess(nixStore, ['--check-validity', '--print-invalid', ...paths], { env });
  if (result.code !== 0) return new Set(paths);
  return new Set(result.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
}
