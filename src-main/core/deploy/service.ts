import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CoreContext } from '../context';
import { assertNever } from '../contract';
import { isThisProcess, processState, thisProcess, type ProcessIdentity } from '../process/identity';
import { PassphraseCache } from '../ssh/auth';
import { SshConnection } from '../ssh/connection';
import { DeployHistory } from './history';

/** Who holds a host's lock, as written on the host (one JSON line). */
export interface LockOwner extends ProcessIdentity {
  readonly deployId: string;
  readonly who: string;
  readonly startedAt: number;
  /** What the owner process is, in the user's words: "fleet serve", "fleet deploy", "the desktop app". */
  readonly program?: string;
}

/**
 * The deploy domain's long-lived state in one core: history, which hosts this process is
 * deploying to (the in-app half of the per-host lock), passphrases typed so far (memory
 * only), and how to open SSH connections with the app's prompts.
 */
export class DeployService {
  readonly history: DeployHistory;
  readonly passphrases = new PassphraseCache();
  readonly appKnownHosts: string;
  /** lock key (kind:host) -> deploy id */
  private readonly held = new Map<string, string>();

  constructor(private readonly ctx: CoreContext) {
    this.history = new DeployHistory(ctx.dataDir);
    this.appKnownHosts = path.join(ctx.dataDir, 'known_hosts');
  }

  get home(): string {
    return this.ctx.env.HOME ?? os.homedir();
  }

  /** Take the in-app lock of a host; returns the deploy holding it when taken already. */
  claim(key: string, deployId: string): string | undefined {
    const holder = this.held.get(key);
    if (holder && holder !== deployId) return holder;
    this.held.set(key, deployId);
    return undefined;
  }

  release(key: string, deployId: string): void {
    if (this.held.get(key) === deployId) this.held.delete(key);
  }

  /** The owner line this process writes into a host's lock. */
  ownerLine(deployId: string): string {
    const owner: LockOwner = { deployId, ...thisProcess(), who: whoAmI(this.ctx.env), startedAt: Date.now(), program: programName(this.ctx.host) };
    return JSON.stringify(owner);
  }

  /**
   * Is a lock left behind? A lock whose owner process is alive is held, full stop (another
   * `fleet` or the app deploying that host right now). It is stale only when its owner
   * process on this machine is gone (pid and start time), or when it is this very process
   * and the deploy it names has ended here. A lock taken from another machine is held.
   */
  isStale(ownerLine: string): boolean {
    let owner: Partial<LockOwner>;
    try {
      owner = JSON.parse(ownerLine) as Partial<LockOwner>;
    } catch {
      return false;
    }
    if (isThisProcess(owner)) return typeof owner.deployId === 'string' && !this.history.isLive(owner.deployId);
    return processState(owner) === 'gone';
  }

  /** Open an SSH connection with the app's known_hosts and prompts. */
  connect(options: {
    host: string;
    user?: string;
    port?: number;
    jobId?: string;
    signal?: AbortSignal;
    connectTimeoutMs?: number;
    /** false: an unknown host key is refused without asking (status checks never ask). */
    acceptUnknownKeys?: boolean;
  }): Promise<SshConnection> {
    const { prompts } = this.ctx;
    const signal = options.signal;
    return SshConnection.open({
      host: options.host,
      ...(options.user ? { user: options.user } : {}),
      ...(options.port ? { port: options.port } : {}),
      home: this.home,
      appKnownHosts: this.appKnownHosts,
      ...(this.ctx.env.SSH_AUTH_SOCK ? { agentSocket: this.ctx.env.SSH_AUTH_SOCK } : {}),
      passphrases: this.passphrases,
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      keepaliveMs: 2000,
      ...(signal ? { signal } : {}),
      askPassphrase: async (file) => {
        const answer = await prompts.ask(
          {
            kind: 'secret',
            title: 'Key passphrase',
            message: `The SSH key ${file} is protected by a passphrase (kept in memory only until the app quits).`,
            secretLabel: `passphrase for ${path.basename(file)}`,
            ...(options.jobId ? { jobId: options.jobId } : {}),
          },
          signal ? { signal } : {},
        );
        return answer.accept ? answer.value : undefined;
      },
      askPassword: async (who, retry) => {
        // Status checks never ask (a password typed earlier in this run is still used).
        if (options.acceptUnknownKeys === false) return undefined;
        const answer = await prompts.ask(
          {
            kind: 'secret',
            title: `Password for ${who}`,
            message: retry
              ? `${who} did not accept that password. Try again.`
              : `No SSH key was accepted by ${who}; it offers password login. The password is kept in memory only until the app quits.`,
            secretLabel: `password for ${who}`,
            ...(options.jobId ? { jobId: options.jobId } : {}),
          },
          signal ? { signal } : {},
        );
        return answer.accept ? answer.value : undefined;
      },
      askUnknownKey: async (info) => {
        if (options.acceptUnknownKeys === false) return false;
        const answer = await prompts.ask(
          {
            kind: 'host-key',
            title: `New host: ${info.host}`,
            message: `${info.host} is not in known_hosts. It presents a ${info.keyType} key with fingerprint ${info.fingerprint}. Accept it only if that is the host's key.`,
            fingerprint: info.fingerprint,
            ...(options.jobId ? { jobId: options.jobId } : {}),
          },
          signal ? { signal } : {},
        );
        return answer.accept;
      },
    });
  }
}

/** The program a lock names, so the person refused knows which process to look at. */
function programName(host: CoreContext['host']): string {
  switch (host) {
    case 'server':
      return 'fleet serve';
    case 'desktop':
      return 'the Homelab Fleet desktop app';
    case 'cli': {
      const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
      return command ? `fleet ${command}` : 'fleet';
    }
    default:
      return assertNever(host);
  }
}

/** "user@machine" of whoever runs the app. */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): string {
  let user = env.USER ?? env.LOGNAME;
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `${user}@${os.hostname()}`;
}

/** The deploy service of a core. */
export function deployService(ctx: CoreContext): DeployService {
  return ctx.service('deploy', () => {
    fs.mkdirSync(ctx.dataDir, { recursive: true });
    return new DeployService(ctx);
  });
}
