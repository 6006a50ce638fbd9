import { toWireError } from '../contract';
import { formatBytes } from '../../shared/units';
import type { HostSession } from './host-session';
import { logFor, type DeployEnv } from './host-stages';
import type { TargetRun } from './target-run';

/** How a copy asks the host which of its paths are still missing (the open serve session's query). */
export type StillMissing = (paths: readonly string[]) => Promise<string[]>;

/**
 * The cheapest source first: a host that trusts the homelab's cache fetches from it, over its
 * own link, the paths it lacks that the cache has; the caller sends only what is still
 * missing (from here or from the build host). Paths the cache does not have are never asked
 * for, so a cache without this closure costs one query, not a failed download per path.
 * Returns the paths still missing; what came from the cache is kept on the run.
 */
export async function fetchFromCache(
  env: DeployEnv,
  run: TargetRun,
  session: HostSession,
  missing: readonly string[],
  sizeOf: (path: string) => number,
  stillMissing: StillMissing,
): Promise<string[]> {
  const cache = env.cacheContents;
  if (!cache || !run.substitute || missing.length === 0) return [...missing];
  const log = logFor(env, run);
  let wanted: readonly string[];
  try {
    const holds = await cache.holds(missing);
    wanted = holds === 'unknown' ? missing : missing.filter((p) => holds.has(p));
  } catch (error) {
    log(`could not ask ${cache.location.url} which paths it has: ${toWireError(error).message}; everything comes from elsewhere`, 'info');
    return [...missing];
  }
  if (wanted.length === 0) {
    log(`${cache.location.url} has none of the ${missing.length} paths ${run.spec.host} lacks`, 'info');
    return [...missing];
  }
  run.update({ message: `${run.spec.host} fetches ${wanted.length} paths from the cache` });
  log(`${run.spec.host} fetches ${wanted.length} of the ${missing.length} paths it lacks from ${cache.location.url}`, 'info');
  // The host's own nix substitutes (it checks the signatures); a path it cannot get is sent after.
  await session.connection.exec(['xargs', 'nix-store', '--realise', '--keep-going'], {
    stdin: wanted.join('\n') + '\n',
    onStderrLine: (line) => log(line, 'stderr'),
    signal: env.job.signal,
  });
  const left = await stillMissing(missing);
  const gone = new Set(left);
  const fetched = missing.filter((p) => !gone.has(p));
  const bytes = fetched.reduce((n, p) => n + sizeOf(p), 0);
  run.fetchedFromCache = { paths: fetched.length, bytes };
  log(`${run.spec.host} fetched ${fetched.length} paths (${formatBytes(bytes)}) from the cache${left.length > 0 ? `; ${left.length} still to send` : ''}`, 'info');
  return left;
}
