import type { CoreContext } from '../context';
import { copyToCacheWithNix, parseCacheUrl, signClosure, type BinaryCache } from '../nix/cache';
import { readSigningKey } from '../nix/path-signature';
import { bringHereFromBuildHost, sendFromBuildHostToCache, signOnBuildHost, type PushSource } from './cache-push-from-build-host';
import { copyClosure } from './copy-closure';
import { HostSession } from './host-session';
import type { DeployService } from './service';

/** What a push to the binary cache did. */
export interface CachePushResult {
  readonly url: string;
  readonly roots: readonly string[];
  /** Paths the cache lacked and got (ssh:// caches; nix copy does not say for the others). */
  readonly copiedPaths?: number;
  readonly copiedBytes?: number;
  readonly closurePaths?: number;
  /** The build host whose store the closure came from (it was built there). */
  readonly from?: string;
  /** Why the build host's closure went through this computer to an ssh:// cache (it could not reach the cache). */
  readonly relayedBecause?: string;
}

/**
 * Sign the closure of `roots` with the cache's key and copy it there: into a file:// or
 * s3:// cache with `nix copy`, into an ssh:// cache over the core's one SSH session layer
 * (the same serve-protocol copy a deploy uses, signatures included), so hosts that trust
 * the key can substitute from it.
 *
 * A closure in a build host's store (`options.from`) is signed there with signatures made
 * here (the key never leaves this machine), and sent by the build host itself to an ssh://
 * cache; a file:// or s3:// cache is written by this machine, so for those the closure comes
 * into this machine's store first and goes on from here.
 */
export async function pushToCache(
  core: CoreContext,
  service: DeployService,
  roots: readonly string[],
  cache: BinaryCache,
  options: { readonly signal?: AbortSignal; readonly jobId?: string; readonly log?: (line: string) => void; readonly from?: PushSource } = {},
): Promise<CachePushResult> {
  const location = parseCacheUrl(cache.url);
  const run = { env: core.env, ...(options.signal ? { signal: options.signal } : {}) };
  const from = options.from;
  if (from) {
    const push = { ...run, ...(options.jobId ? { jobId: options.jobId } : {}), ...(options.log ? { log: options.log } : {}) };
    if (location.kind === 'ssh') {
      const closure = await signOnBuildHost(from, roots, readSigningKey(cache.secretKeyFile), push);
      const sent = await sendFromBuildHostToCache(service, from, location, roots, closure, push);
      return { url: cache.url, roots, from: from.name, ...sent };
    }
    options.log?.(`${cache.url} is written by this machine: the closure comes from ${from.name}'s store through this machine's store, then goes on from here`);
    await bringHereFromBuildHost(from, roots, push);
  }
  options.log?.(`signing ${roots.length} closure${roots.length === 1 ? '' : 's'} with ${cache.secretKeyFile}`);
  await signClosure(roots, cache.secretKeyFile, run);
  switch (location.kind) {
    case 'file':
    case 's3':
      options.log?.(`nix copy --to ${cache.url}`);
      await copyToCacheWithNix(roots, cache.url, { ...run, ...(options.log ? { onStderrLine: options.log } : {}) });
      return { url: cache.url, roots, ...(from ? { from: from.name } : {}) };
    case 'ssh': {
      const connection = await service.connect({
        host: location.host,
        ...(location.user ? { user: location.user } : {}),
        ...(options.jobId ? { jobId: options.jobId } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        connectTimeoutMs: 8000,
      });
      const session = new HostSession(connection, { kind: 'root' });
      try {
        const copied = await copyClosure(session, roots, { ...run, ...(options.log ? { log: options.log } : {}) });
        options.log?.(`${location.host} had ${copied.closurePaths - copied.copiedPaths} of ${copied.closurePaths} paths; sent ${copied.copiedPaths}`);
        return { url: cache.url, roots, copiedPaths: copied.copiedPaths, copiedBytes: copied.copiedBytes, closurePaths: copied.closurePaths, ...(from ? { from: from.name } : {}) };
      } finally {
        session.close();
      }
    }
  }
}
