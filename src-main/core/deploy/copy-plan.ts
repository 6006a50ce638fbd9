import { toWireError } from '../contract';
import type { CoreContext } from '../context';
import { parseBuildHost } from '../homelab/names';
import { checkoutCache } from './cache-handlers';
import { CacheContents } from './cache-contents';
import { hostCacheTrust } from './cache-trust';
import { localClosure } from './copy-closure';
import { HostSession } from './host-session';
import { evaluatedOutputs, locallyMissing } from './outputs';
import { parseCacheUrl } from '../nix/cache';
import { narSizesOn } from './push-from-build-host';
import { HostServe } from './serve-copy';
import type { DeployService } from './service';
import type { DeployTargetSpec } from './types';

/** Some store paths and their NAR bytes. */
export interface PathAmount {
  readonly paths: number;
  readonly bytes: number;
}

/** Where one target's closure would come from in a deploy now, read without changing anything. */
export interface TargetCopyPlan {
  readonly target: string;
  readonly host: string;
  readonly online: boolean;
  /** Why the host (or its build host) could not be read. */
  readonly error?: string;
  /** Where it is built: "here", the build host's name, or "the host itself". */
  readonly builtOn: string;
  /** The out path the checkout builds for it (when it evaluates). */
  readonly outPath?: string;
  /** Where that out path is built already, so its closure could be read: "here" or the build host; unset: not built yet. */
  readonly builtAlready?: string;
  /** The host and the homelab's cache (only when a cache is set): does it trust the key, list the cache? */
  readonly cache?: { readonly trustsKey: boolean; readonly usesCache: boolean; readonly error?: string };
  readonly closure?: PathAmount;
  /** What the host has of it already. */
  readonly onHost?: PathAmount;
  /** What it would fetch from the cache itself (the cache has it and the host trusts the key). */
  readonly fromCache?: PathAmount;
  /** What the build host would send it. */
  readonly fromBuildHost?: PathAmount;
  /** What this machine would send it. */
  readonly fromHere?: PathAmount;
  /** The cheapest source of what it lacks: "cache", the build host's name, "here", "the host itself" (it builds), or "nothing" (it has it all). */
  readonly source: string;
  /** The plan in one sentence. */
  readonly summary: string;
}

/** What `deploy.plan` answers: the cache, and each target's plan. */
export interface DeployCopyPlan {
  readonly cache: { readonly url: string; readonly publicKey: string } | null;
  readonly targets: readonly TargetCopyPlan[];
}

type Sizes = ReadonlyMap<string, number>;

const amount = (paths: readonly string[], sizes: Sizes): PathAmount => ({ paths: paths.length, bytes: paths.reduce((n, p) => n + (sizes.get(p) ?? 0), 0) });

/**
 * For each target: where it is built, whether its host trusts the homelab's cache (from the
 * host's nix configuration), and what a deploy would copy from here, let the host fetch from
 * the cache, or have the build host send: the same order a deploy takes (cache first when
 * the host trusts it and the cache has the paths, then the build host, then here). The
 * closure is read where it is built already; a target not built yet gets its sources but
 * no sizes. Never asks a question (an unknown host key reads as offline), never builds.
 */
export async function copyPlan(ctx: CoreContext, service: DeployService, root: string, specs: readonly DeployTargetSpec[], signal?: AbortSignal): Promise<DeployCopyPlan> {
  const hosts = specs.filter((s) => s.kind !== 'droid');
  const kinds = new Set<'system' | 'home'>(hosts.map((s) => (s.kind === 'home' ? 'home' : 'system')));
  const [outputs, cache] = await Promise.all([
    evaluatedOutputs(root, { env: ctx.env, dataDir: ctx.dataDir, kinds, ...(signal ? { signal } : {}) }).catch(() => undefined),
    checkoutCache(ctx, root).catch(() => null),
  ]);
  const location = cache ? parseCacheUrl(cache.url) : undefined;
  const contents = location ? new CacheContents(location, service, signal ? { signal } : {}) : undefined;
  const open = (host: string, user?: string, port?: number) =>
    service
      .connect({ host, ...(user ? { user } : {}), ...(port ? { port } : {}), connectTimeoutMs: 8000, acceptUnknownKeys: false, ...(signal ? { signal } : {}) })
      .then((c) => new HostSession(c, { kind: 'root' }));
  const buildHosts = new Map<string, Promise<HostSession>>();
  for (const name of new Set(hosts.flatMap((s) => (s.buildHost && !s.buildOnTarget ? [s.buildHost] : [])))) {
    const { host, user } = parseBuildHost(name);
    const session = open(host, user);
    session.catch(() => undefined);
    buildHosts.set(name, session);
  }
  try {
    const targets = await Promise.all(
      hosts.map(async (spec): Promise<TargetCopyPlan> => {
        const builtOn = spec.buildOnTarget ? 'the host itself' : (spec.buildHost ?? 'here');
        const outPath = outputs?.[spec.kind === 'home' ? 'home' : 'system'][spec.config];
        const base = { target: spec.id, host: spec.host, builtOn, ...(outPath ? { outPath } : {}) };
        let session: HostSession;
        try {
          session = await open(spec.host, spec.user, spec.port);
        } catch (error) {
          return { ...base, online: false, error: toWireError(error).message, source: builtOn === 'here' ? 'here' : builtOn, summary: `${spec.host} cannot be reached: nothing to plan` };
        }
        try {
          return { ...base, online: true, ...(await planOne(spec, session, builtOn, outPath, cache, contents, buildHosts.get(spec.buildHost ?? ''), ctx.env, signal)) };
        } catch (error) {
          return { ...base, online: true, error: toWireError(error).message, source: builtOn, summary: `could not read what ${spec.host} has: ${toWireError(error).message}` };
        } finally {
          session.close();
        }
      }),
    );
    return { cache: cache ? { url: cache.url, publicKey: cache.publicKey } : null, targets };
  } finally {
    contents?.close();
    for (const s of buildHosts.values()) void s.then((x) => x.close(), () => undefined);
  }
}

async function planOne(
  spec: DeployTargetSpec,
  session: HostSession,
  builtOn: string,
  outPath: string | undefined,
  cache: { readonly url: string; readonly publicKey: string } | null,
  contents: CacheContents | undefined,
  buildHost: Promise<HostSession> | undefined,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): Promise<Omit<TargetCopyPlan, 'target' | 'host' | 'online' | 'builtOn' | 'outPath'>> {
  const trust = cache && contents ? await hostCacheTrust(session, contents.location, cache.publicKey, signal) : undefined;
  const trusted = trust !== undefined && trust.trustsKey && trust.usesCache;
  const cacheView = trust ? { cache: { trustsKey: trust.trustsKey, usesCache: trust.usesCache, ...(trust.error ? { error: trust.error } : {}) } } : {};
  const trustWords = trust === undefined ? '' : trusted ? `; it trusts the cache` : `; it does not take paths from the cache (${trust.trustsKey ? 'the cache is not one of its substituters' : 'its nix does not trust the key'})`;
  if (builtOn === 'the host itself') {
    return { ...cacheView, source: 'the host itself', summary: `${spec.host} builds it itself: nothing is copied to it${trustWords}` };
  }
  const sender = builtOn;
  if (!outPath) return { ...cacheView, source: sender, summary: `the checkout does not evaluate: built ${builtOn === 'here' ? 'here' : `on ${builtOn}`} at deploy time${trustWords}` };
  const found = await closureOf(outPath, builtOn, buildHost, env, signal);
  if (!found) {
    // Built elsewhere and pushed already: the cache has the system itself.
    const cached = trusted && contents ? await contents.holds([outPath]) : undefined;
    const inCache = cached !== undefined && cached !== 'unknown' && cached.has(outPath);
    return {
      ...cacheView,
      source: inCache ? 'cache' : sender,
      summary: `not built yet: built ${builtOn === 'here' ? 'here' : `on ${builtOn}`} at deploy time, then ${trusted ? `${spec.host} fetches what the cache has and ${sender === 'here' ? 'this machine' : sender} sends the rest` : `${sender === 'here' ? 'this machine' : sender} sends what ${spec.host} lacks`}${trust && !trusted ? trustWords : ''}`,
    };
  }
  const { sizes, where } = found;
  const paths = [...sizes.keys()];
  const serve = await HostServe.open(session, signal ? { signal } : {});
  let missing: string[];
  try {
    missing = await serve.missing(paths);
  } finally {
    serve.close();
  }
  const lacking = new Set(missing);
  const onHost = paths.filter((p) => !lacking.has(p));
  let fromCache: string[] = [];
  let cacheUnknown = false;
  if (trusted && contents && missing.length > 0) {
    const holds = await contents.holds(missing);
    if (holds === 'unknown') cacheUnknown = true;
    else fromCache = missing.filter((p) => holds.has(p));
  }
  const viaCache = new Set(fromCache);
  const rest = missing.filter((p) => !viaCache.has(p));
  const plan = {
    ...cacheView,
    builtAlready: where,
    closure: amount(paths, sizes),
    onHost: amount(onHost, sizes),
    ...(fromCache.length > 0 ? { fromCache: amount(fromCache, sizes) } : {}),
    ...(rest.length > 0 ? (sender === 'here' ? { fromHere: amount(rest, sizes) } : { fromBuildHost: amount(rest, sizes) }) : {}),
  };
  const source = missing.length === 0 ? 'nothing' : rest.length === 0 ? 'cache' : sender;
  const parts = [
    ...(fromCache.length > 0 ? [`${fromCache.length} from the cache`] : []),
    ...(rest.length > 0 ? [`${rest.length} from ${sender === 'here' ? 'here' : sender}${cacheUnknown ? ' (or the cache, if it has them)' : ''}`] : []),
  ];
  const summary = missing.length === 0 ? `${spec.host} has all ${paths.length} paths already${trustWords}` : `${spec.host} lacks ${missing.length} of ${paths.length} paths: ${parts.join(', ')}${trustWords}`;
  return { ...plan, source, summary };
}

/** The closure of `outPath` with NAR sizes, read where it is built already (here first, else the build host). */
async function closureOf(
  outPath: string,
  builtOn: string,
  buildHost: Promise<HostSession> | undefined,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): Promise<{ sizes: Sizes; where: string } | undefined> {
  if (!(await locallyMissing([outPath], env)).has(outPath)) {
    const closure = await localClosure([outPath], { env, ...(signal ? { signal } : {}) });
    return { sizes: new Map([...closure].map(([p, info]) => [p, info.narSize])), where: 'here' };
  }
  if (builtOn === 'here' || !buildHost) return undefined;
  const session = await buildHost;
  const listed = await session.connection.exec(['nix-store', '--query', '--requisites', outPath], signal ? { signal } : {});
  if (listed.code !== 0) return undefined;
  const paths = listed.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  return { sizes: await narSizesOn(session, paths, signal), where: builtOn };
}
