import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import { sshSessions } from '../ssh/sessions';
import type { DeployTarget } from '../homelab/types';
import type { HostExec } from './listing';

/**
 * Open an SSH connection to a system's deploy target (or its build host) for read-only
 * queries (closure listing), through the core's one session layer: the same known_hosts, the same
 * passphrases typed for a deploy, the same prompts. The caller closes it.
 */
export async function openHostExec(
  ctx: CoreContext,
  target: Pick<DeployTarget, 'host' | 'user' | 'port' | 'refused'>,
  options: { readonly jobId?: string; readonly signal?: AbortSignal; readonly connectTimeoutMs?: number } = {},
): Promise<{ exec: HostExec; close: () => void }> {
  if (target.refused) throw new FleetError('invalid-input', target.refused);
  const connection = await sshSessions(ctx).open(
    { host: target.host, ...(target.user ? { user: target.user } : {}), ...(target.port ? { port: target.port } : {}) },
    {
      ...(options.jobId ? { jobId: options.jobId } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    },
  );
  return { exec: (argv) => connection.exec(argv, options.signal ? { signal: options.signal } : {}), close: () => connection.close() };
}
