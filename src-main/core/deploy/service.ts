import * as fs from 'node:fs';
import * as os from 'node:os';
import type { CoreContext } from '../context';
import type { SshConnection } from '../ssh/connection';
import { sshSessions } from '../ssh/sessions';
import { DeployHistory } from './history';

/** Who holds a host's lock, as written on the host (one JSON line). */
export interface LockOwner {
  readonly deployId: string;
  readonly machine: string;
  readonly pid: number;
  readonly who: string;
  readonly startedAt: number;
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
    const owner: LockOwner = { deployId, machine: os.hostname(), pid: process.pid, who: whoAmI(this.ctx.env), startedAt: Date.now() };
    return JSON.stringify(owner);
  }

  /**
   * Is a lock left behind? Yes when it was taken on this machine by a process that is gone,
   * or by a deploy the history knows has ended or was interrupted.
   */
  isStale(ownerLine: string): boolean {
    let owner: Partial<LockOwner>;
    try {
      owner = JSON.parse(ownerLine) as Partial<LockOwner>;
    } catch {
      return false;
    }
    if (owner.machine === os.hostname() && typeof owner.pid === 'number' && !processAlive(owner.pid)) return true;
    if (typeof owner.deployId === 'string' && !this.history.isLive(owner.deployId)) {
      const record = this.history.get(owner.deployId);
      if (record && record.status !== 'running') return true;
    }
    return false;
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
  }): Promise<SshConnection> {
    return sshSessions(this.ctx).open(
      { host: options.host, ...(options.user ? { user: options.user } : {}), ...(options.port ? { port: options.port } : {}) },
      {
        ...(options.jobId ? { jobId: options.jobId } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
        ...(options.acceptUnknownKeys === false ? { ask: false } : {}),
      },
    );
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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
