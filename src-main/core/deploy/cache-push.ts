import type { CoreContext } from '../context';
import { copyToCacheWithNix, parseCacheUrl, signClosure, type BinaryCache } from '../nix/cache';
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
}

/**
 * Sign the closure of `roots` with the cache's key and copy it there: into a file:// or
 * s3:// cache with `nix copy`, into an ssh:// cache over the core's one SSH session layer
 * (the same serve-protocol copy a deploy uses, signatures included), so hosts that trust
 * the key can substitute from it.
 */
export async function pushToCache(
  core: CoreContext,
  service: DeployService,
  roots: readonly string[],
  cache: BinaryCache,
  options: { readonly signal?: AbortSignal; readonly jobId?: string; readonly log?: (line: string) => void } = {},
): Promise<CachePushResult> {
  const location = parseCacheUrl(cache.url);
  const run = { env: core.env, ...(options.signal ? { signal: options.signal } : {}) };
  options.log?.(`signing ${roots.length} closure${roots.length === 1 ? '' : 's'} with ${cache.secretKeyFile}`);
  await signClosure(roots, cache.secretKeyFile, run);
  switch (location.kind) {
    case 'file':
    case 's3':
      options.log?.(`nix copy --to ${cache.url}`);
      await copyToCacheWithNix(roots, cache.url, { ...run, ...(options.log ? { onStderrLine: options.log } : {}) });
      return { url: cache.url, roots };
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
        return { url: cache.url, roots, copiedPaths: copied.copiedPaths, copiedBytes: copied.copiedBytes, closurePaths: copied.closurePaths };
      } finally {
        session.close();
      }
    }
  }
}
