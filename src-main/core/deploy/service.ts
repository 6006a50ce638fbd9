import * as fs from 'node:fs';
import * as os from 'node:os';
import type { CoreContext } from '../context';
import { assertNever } from '../contract';
import { isThisProcess, processState, thisProcess, type ProcessIdentity } from '../process/identity';
import type { SshConnection } from '../ssh/connection';
import { sshSessions } from '../ssh/sessions';
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
 * The deploy domain's long-lived state in one core: history, and which targets this
 * process is deploying to (the in-app half of the per-target lock). SSH goes through the
 * core's session layer (core/ssh/sessions.ts).
 */
export class DeployService {
  readonly history: DeployHistory;
  /** lock key (kind:host) -> deploy id */
  private readonly held = new Map<string, string>();

  constructor(private readonly ctx: CoreContext) {
    this.history = new DeployHistory(ctx.dataDir);
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

  /** Open an SSH connection through the core's one session layer (known_hosts, passphrases, prompts). */
  connect(options: {
    host: string;
    user?: string;
    port?: number;
    jobId?: string;
    signal?: AbortSignal;
    connectTimeoutMs?: number;
    /** false: an unknown host key is refused without asking (status checks never ask). */
    acceptUnknownKeys?: boolean;
    /** Let commands forward this machine's ssh-agent (a build host signing in to targets). */
    forwardAgent?: boolean;
  }): Promise<SshConnection> {
    return sshSessions(this.ctx).open(
      { host: options.host, ...(options.user ? { user: options.user } : {}), ...(options.port ? { port: options.port } : {}) },
      {
        ...(options.jobId ? { jobId: options.jobId } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
        ...(options.acceptUnknownKeys === false ? { ask: false } : {}),
        ...(options.forwardAgent ? { forwardAgent: true } : {}),
      },
    );
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
