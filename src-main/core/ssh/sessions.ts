import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type { CoreContext } from '../context';
import { PassphraseCache } from './auth';
import { SshConnection, type UnknownKeyPrompt } from './connection';

/** Where a session goes: a host by name over TCP, or a stream already reaching one. */
export interface SessionTarget {
  /** An ~/.ssh/config alias, DNS name or address; over a stream, the name its host key is known by. */
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  /** SSH over this stream (a phone's adb forward) instead of TCP. */
  readonly stream?: Duplex;
  /** Log in with this key file only. */
  readonly identityFile?: string;
}

export interface SessionOptions {
  /** The job that asks, so the question shows beside it. */
  readonly jobId?: string;
  readonly signal?: AbortSignal;
  readonly connectTimeoutMs?: number;
  readonly keepaliveMs?: number;
  /** false: never ask anything (status checks); an unknown host key is refused, a password typed earlier is still used. */
  readonly ask?: boolean;
  /**
   * Decides about a host key no known_hosts file lists before the person is asked:
   * true trusts it, a thrown FleetError refuses it, undefined asks as usual.
   */
  readonly vouchForKey?: (fingerprint: string) => boolean | undefined;
  /** Let commands forward this machine's ssh-agent (ExecOptions.forwardAgent): a build host signing in to targets. */
  readonly forwardAgent?: boolean;
}

/**
 * THE way the core reaches a machine over SSH: hosts, homes, closures and phones. One
 * known_hosts of the app (beside the user's own files), one in-memory cache of key
 * passphrases and login passwords for the whole core, and the core's prompts for host
 * keys, passphrases and passwords, each asked beside the job that needs it.
 */
export class SshSessions {
  /** Passphrases and login passwords typed during this run: memory only, never written. */
  readonly passphrases = new PassphraseCache();
  /** The app's own known_hosts, where accepted keys are written. */
  readonly appKnownHosts: string;

  constructor(private readonly ctx: CoreContext) {
    this.appKnownHosts = path.join(ctx.dataDir, 'known_hosts');
  }

  get home(): string {
    return this.ctx.env.HOME ?? os.homedir();
  }

  /** Open an SSH connection with the app's known_hosts, passphrase cache and prompts. */
  open(target: SessionTarget, options: SessionOptions = {}): Promise<SshConnection> {
    const { prompts } = this.ctx;
    const { signal, jobId } = options;
    const ask = options.ask !== false;
    const where = { ...(jobId ? { jobId } : {}) };
    const cancel = signal ? { signal } : {};
    const askUnknownKey: UnknownKeyPrompt = async (info) => {
      const vouched = options.vouchForKey?.(info.fingerprint);
      if (vouched !== undefined) return vouched;
      if (!ask) return false;
      const answer = await prompts.ask(
        {
          kind: 'host-key',
          title: `New host: ${info.host}`,
          message: `${info.host} is not in known_hosts. It presents a ${info.keyType} key with fingerprint ${info.fingerprint}. Accept it only if that is the host's key.`,
          fingerprint: info.fingerprint,
          ...where,
        },
        cancel,
      );
      return answer.accept;
    };
    return SshConnection.open({
      host: target.host,
      ...(target.user ? { user: target.user } : {}),
      ...(target.port ? { port: target.port } : {}),
      ...(target.stream ? { stream: target.stream } : {}),
      ...(target.identityFile ? { identityFile: target.identityFile } : {}),
      home: this.home,
      appKnownHosts: this.appKnownHosts,
      ...(this.ctx.env.SSH_AUTH_SOCK ? { agentSocket: this.ctx.env.SSH_AUTH_SOCK } : {}),
      passphrases: this.passphrases,
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      keepaliveMs: options.keepaliveMs ?? 2000,
      ...(options.forwardAgent ? { forwardAgent: true } : {}),
      ...cancel,
      askPassphrase: async (file) => {
        // A key's passphrase is asked even by status checks: it is asked once per run, then cached.
        const answer = await prompts.ask(
          {
            kind: 'secret',
            title: 'Key passphrase',
            message: `The SSH key ${file} is protected by a passphrase (kept in memory only until the app quits).`,
            secretLabel: `passphrase for ${path.basename(file)}`,
            ...where,
          },
          cancel,
        );
        return answer.accept ? answer.value : undefined;
      },
      askPassword: async (who, retry) => {
        if (!ask) return undefined;
        const answer = await prompts.ask(
          {
            kind: 'secret',
            title: `Password for ${who}`,
            message: retry
              ? `${who} did not accept that password. Try again.`
              : `No SSH key was accepted by ${who}; it offers password login. The password is kept in memory only until the app quits.`,
            secretLabel: `password for ${who}`,
            ...where,
          },
          cancel,
        );
        return answer.accept ? answer.value : undefined;
      },
      askUnknownKey,
    });
  }
}

/** The core's one SSH session layer. */
export function sshSessions(ctx: CoreContext): SshSessions {
  return ctx.service('ssh.sessions', () => new SshSessions(ctx));
}
