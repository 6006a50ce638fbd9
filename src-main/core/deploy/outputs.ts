import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireNixStore, runNix } from '../nix/runner';
import { runProcess } from '../process/run';
import { checkoutRevision } from './status';

/**
 * What the checkout builds, without building: the out paths of every system toplevel and
 * home activation package, from ONE evaluation (cached per clean git revision: a clean tree
 * at the same commit evaluates to the same paths). A deploy whose paths are already in the
 * local store skips the build stage; that is what makes an unchanged re-deploy quick.
 */
export interface EvaluatedOutputs {
  readonly system: Readonly<Record<string, string>>;
  readonly home: Readonly<Record<string, string>>;
}

const applySystems = 'cs: builtins.mapAttrs (n: c: c.config.system.build.toplevel.outPath) cs';
const applyHomes = 'hs: builtins.mapAttrs (n: h: h.activationPackage.outPath) hs';

interface CacheFile {
  readonly entries: Record<string, EvaluatedOutputs>;
}

function cacheFile(dataDir: string): string {
  return path.join(dataDir, 'deploy-eval-cache.json');
}

/** Evaluate (or read from the cache) the out paths; undefined when nix cannot evaluate them all. */
export async function evaluatedOutputs(
  root: string,
  options: { env: NodeJS.ProcessEnv; dataDir: string; kinds: ReadonlySet<'system' | 'home'>; signal?: AbortSignal },
): Promise<EvaluatedOutputs | undefined> {
  const { revision, dirty } = await checkoutRevision(root);
  const key = revision && dirty === false ? `${root}\0${revision}` : undefined;
  let cache: CacheFile = { entries: {} };
  if (key) {
    try {
      cache = JSON.parse(fs.readFileSync(cacheFile(options.dataDir), 'utf8')) as CacheFile;
      const hit = cache.entries[key];
      if (hit && [...options.kinds].every((k) => Object.keys(hit[k]).length > 0)) return hit;
    } catch {
      cache = { entries: {} };
    }
  }
  const evalJson = async (attr: string, apply: string): Promise<Record<string, string> | undefined> => {
    const result = await runNix(['eval', '--json', '--option', 'eval-cache', 'false', attr, '--apply', apply], { cwd: root, env: options.env, ...(options.signal ? { signal: options.signal } : {}) });
    if (result.code !== 0) return undefined;
    try {
      return JSON.parse(result.stdout) as Record<string, string>;
    } catch {
      return undefined;
    }
  };
  const [system, home] = await Promise.all([
    options.kinds.has('system') ? evalJson('.#nixosConfigurations', applySystems) : Promise.resolve({}),
    options.kinds.has('home') ? evalJson('.#homeConfigurations', applyHomes) : Promise.resolve({}),
  ]);
  if (!system || !home) return undefined;
  const outputs: EvaluatedOutputs = { system, home };
  if (key) {
    // Keep the cache small: the newest few revisions.
    const entries = Object.fromEntries([[key, outputs] as const, ...Object.entries(cache.entries).filter(([k]) => k !== key)].slice(0, 20));
    try {
      fs.writeFileSync(cacheFile(options.dataDir), JSON.stringify({ entries }));
    } catch {
      // a cache only
    }
  }
  return outputs;
}

/** Which of `paths` are NOT valid in the local store. */
export async function locallyMissing(paths: readonly string[], env: NodeJS.ProcessEnv): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const nixStore = requireNixStore(env);
  const result = await runProcess(nixStore, ['--check-validity', '--print-invalid', ...paths], { env });
  if (result.code !== 0) return new Set(paths);
  return new Set(result.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
}
