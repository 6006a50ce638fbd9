import { toWireError } from '../contract';
import type { CacheLocation } from '../nix/cache';
import { hostCacheTrust } from './cache-trust';
import { logFor, type DeployEnv } from './host-stages';
import type { TargetRun } from './target-run';

/** The checkout's cache as a deploy uses it. */
export interface DeployCache {
  readonly location: CacheLocation;
  readonly publicKey: string;
}

/**
 * With a binary cache set, each host that trusts its key and lists it as a substituter
 * fetches what the cache has first (its own nix, over its own link), and only the rest is
 * sent from here. Hosts that would refuse the cache's signatures get everything from here,
 * and the log says why. Read from each host's nix configuration over its pre-flight session.
 */
export async function chooseSubstitution(env: DeployEnv, runs: readonly TargetRun[], cache: DeployCache): Promise<void> {
  await Promise.all(
    runs.map(async (run) => {
      if (run.done || !run.session) return;
      const log = logFor(env, run);
      try {
        const trust = await hostCacheTrust(run.session, cache.location, cache.publicKey, env.job.signal);
        if (trust.trustsKey && trust.usesCache) {
          run.substitute = true;
          log(`${run.spec.host} trusts the cache key and substitutes from ${cache.location.url}: it fetches what the cache has, the rest comes from here`, 'info');
          return;
        }
        const why = [
          ...(trust.trustsKey ? [] : [`its nix does not trust ${cache.publicKey.split(':')[0]} (trusted-public-keys)`]),
          ...(trust.usesCache ? [] : [`${cache.location.url} is not one of its substituters`]),
        ].join(' and ');
        log(`${run.spec.host} does not take paths from the cache: ${trust.error ?? why}; everything comes from here`, 'info');
      } catch (error) {
        log(`could not read the nix configuration of ${run.spec.host}: ${toWireError(error).message}; everything comes from here`, 'info');
      }
    }),
  );
}
