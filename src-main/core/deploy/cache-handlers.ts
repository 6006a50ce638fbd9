import { FleetError, toWireError } from '../contract';
import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import { cachePublicKey, parseCacheUrl, type BinaryCache } from '../nix/cache';
import { buildHostProblem, openBuildHost } from './build-host';
import { pushToCache } from './cache-push';
import { hostCacheTrust } from './cache-trust';
import type { CacheInfo, HostCacheTrust, deployCommands } from './contract';
import { HostSession } from './host-session';
import { deployService } from './service';
import type { DeployTargetSpec } from './types';

type CacheCommands = Pick<typeof deployCommands, 'cache.get' | 'cache.set' | 'cache.push' | 'cache.trust'>;

/** The checkout's binary cache from the settings, with its public key; null when none is set. */
export async function checkoutCache(ctx: CoreContext, root: string): Promise<(CacheInfo & BinaryCache) | null> {
  const cache = ctx.settings.get().binaryCaches[root];
  if (!cache) return null;
  return { ...cache, publicKey: cachePublicKey(cache.secretKeyFile) };
}

/** Handlers of the binary cache commands (part of the deploy domain: pushing and trust go over its SSH sessions). */
export function cacheHandlers(ctx: CoreContext, resolve: (targets: readonly string[]) => DeployTargetSpec[]): HandlersFor<CacheCommands> {
  const requireCache = async () => {
    const root = ctx.root();
    const cache = await checkoutCache(ctx, root);
    if (!cache) throw new FleetError('not-found', `${root} has no binary cache set.`, { hint: 'Set one: fleet cache set <file://|ssh://|s3:// URL> --key <secret key file>.' });
    return cache;
  };
  return {
    'cache.get': () => checkoutCache(ctx, ctx.root()),
    'cache.set': async (input) => {
      const root = ctx.root();
      if (input.url === null) {
        ctx.settings.update((s) => ({ ...s, binaryCaches: Object.fromEntries(Object.entries(s.binaryCaches).filter(([k]) => k !== root)) }));
        return null;
      }
      parseCacheUrl(input.url);
      const secretKeyFile = input.secretKeyFile ?? ctx.settings.get().binaryCaches[root]?.secretKeyFile;
      if (!secretKeyFile) throw new FleetError('invalid-input', 'Name the secret key that signs what is pushed (secretKeyFile).');
      // Checked before it is kept: a key nix cannot read is an error now, not at the first push.
      cachePublicKey(secretKeyFile);
      ctx.settings.update((s) => ({ ...s, binaryCaches: { ...s.binaryCaches, [root]: { url: input.url!, secretKeyFile } } }));
      return checkoutCache(ctx, root);
    },
    'cache.push': async (input) => {
      const cache = await requireCache();
      const buildHost = input.buildHost;
      if (buildHost !== undefined) {
        // Only a build host this checkout builds on: a request names no other machine to sign in to.
        const systems = (() => {
          try {
            return resolve(['all']);
          } catch {
            return [];
          }
        })();
        const known = new Set(systems.flatMap((s) => (s.buildHost ? [s.buildHost] : [])));
        if (!known.has(buildHost)) {
          throw new FleetError('invalid-input', `${buildHost} is not a build host of ${ctx.root()} (${[...known].join(', ') || 'it names none'}).`, {
            hint: 'A build host is named in a system’s meta.json (deploy.buildHost) or in the settings (deploy.buildHost).',
          });
        }
      }
      const title = `Push ${input.paths.length} path${input.paths.length === 1 ? '' : 's'}${buildHost ? ` from ${buildHost}` : ''} to ${cache.url}`;
      return {
        spec: { kind: 'cache-push', title, targets: [cache.url] },
        run: async (job) => {
          const log = (line: string) => job.log(line, 'info');
          if (buildHost === undefined) return pushToCache(ctx, deployService(ctx), input.paths, cache, { signal: job.signal, jobId: job.id, log });
          const service = deployService(ctx);
          const link = await openBuildHost({ core: ctx, service, job }, buildHost, (text, stream) => job.log(text, stream));
          if (!link.session) throw new FleetError(link.problem!.offline ? 'host-unreachable' : 'copy-failed', buildHostProblem(buildHost, link.problem!));
          try {
            return await pushToCache(ctx, service, input.paths, cache, { signal: job.signal, jobId: job.id, log, from: { name: buildHost, session: link.session } });
          } finally {
            link.session.close();
          }
        },
      };
    },
    'cache.trust': async (input) => {
      const cache = await requireCache();
      const location = parseCacheUrl(cache.url);
      const specs = resolve(input.targets && input.targets.length > 0 ? input.targets : ['all']).filter((s) => s.kind === 'system');
      return Promise.all(
        specs.map(async (spec): Promise<HostCacheTrust> => {
          const base = { target: spec.id, host: spec.host };
          try {
            const connection = await deployService(ctx).connect({ host: spec.host, ...(spec.user ? { user: spec.user } : {}), ...(spec.port ? { port: spec.port } : {}), connectTimeoutMs: 8000, acceptUnknownKeys: false });
            const session = new HostSession(connection, { kind: 'root' });
            try {
              const trust = await hostCacheTrust(session, location, cache.publicKey);
              return { ...base, online: true, ...trust };
            } finally {
              session.close();
            }
          } catch (error) {
            return { ...base, online: false, trustsKey: false, usesCache: false, substituters: [], error: toWireError(error).message };
          }
        }),
      );
    },
  };
}
