import * as os from 'node:os';
import * as path from 'node:path';
import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import { PassphraseCache } from '../ssh/auth';
import { SshConnection } from '../ssh/connection';
import type { DeployTarget } from '../homelab/types';
import type { HostExec } from './listing';

/**
 * Open an SSH connection to a system's deploy target for read-only queries (closure
 * listing), asking the person about unknown host keys and key passphrases through the
 * core's prompts. The caller closes it.
 */
export async function openHostExec(
  ctx: CoreContext,
  target: DeployTarget,
  options: { readonly jobId?: string; readonly signal?: AbortSignal; readonly connectTimeoutMs?: number } = {},
): Promise<{ exec: HostExec; close: () => void }> {
  if (target.refused) throw new FleetError('invalid-input', target.refused);
  const passphrases = ctx.service('closure.passphrases', () => new PassphraseCache());
  const home = ctx.env.HOME ?? os.homedir();
  const connection = await SshConnection.open({
    host: target.host,
    ...(target.user ? { user: target.user } : {}),
    ...(target.port ? { port: target.port } : {}),
    home,
    appKnownHosts: path.join(ctx.dataDir, 'known_hosts'),
    ...(ctx.env.SSH_AUTH_SOCK ? { agentSocket: ctx.env.SSH_AUTH_SOCK } : {}),
    passphrases,
    askPassphrase: async (keyFile) => {
      const answer = await ctx.prompts.ask(
        { kind: 'secret', title: 'Key passphrase', message: `The key ${keyFile} needs its passphrase.`, secretLabel: `passphrase for ${keyFile}`, ...(options.jobId ? { jobId: options.jobId } : {}) },
        options.signal ? { signal: options.signal } : {},
      );
      return answer.accept ? answer.value : undefined;
    },
    askPassword: async (who, retry) => {
      const answer = await ctx.prompts.ask(
        {
          kind: 'secret',
          title: `Password for ${who}`,
          message: retry ? `${who} did not accept that password. Try again.` : `${who} accepted no SSH key and offers password login (kept in memory only).`,
          secretLabel: `password for ${who}`,
          ...(options.jobId ? { jobId: options.jobId } : {}),
        },
        options.signal ? { signal: options.signal } : {},
      );
      return answer.accept ? answer.value : undefined;
    },
    askUnknownKey: async (info) => {
      const answer = await ctx.prompts.ask(
        {
          kind: 'host-key',
          title: `Unknown host ${info.host}`,
          message: `${info.host} presented a ${info.keyType} key that no known_hosts file lists. Trust it?`,
          fingerprint: info.fingerprint,
          ...(options.jobId ? { jobId: options.jobId } : {}),
        },
        options.signal ? { signal: options.signal } : {},
      );
      return answer.accept;
    },
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { exec: (argv) => connection.exec(argv, options.signal ? { signal: options.signal } : {}), close: () => connection.close() };
}
