import { PassThrough, type Readable } from 'node:stream';
import { FleetError } from '../contract';
import type { ExecOptions, RemoteChannel, RemoteResult, SshConnection } from '../ssh/connection';

/** How commands that need root run on a host. */
export type RootAccess =
  | { readonly kind: 'root' }
  | { readonly kind: 'sudo' }
  /** sudo that asks for a password: it goes on stdin (never argv, never logs). */
  | { readonly kind: 'sudo-password'; readonly password: string };

/**
 * A host during a deploy: its one SSH connection and how to become root there. Scripts are
 * the constants of remote-scripts.ts with quoted positional arguments.
 */
export class HostSession {
  constructor(
    readonly connection: SshConnection,
    public root: RootAccess,
  ) {}

  /** Run a script as the login user. */
  script(script: string, args: readonly string[], options: ExecOptions = {}): Promise<RemoteResult> {
    return this.connection.script(script, args, options);
  }

  /** Run an argument vector as root (directly, or through sudo). */
  asRoot(argv: readonly string[], options: ExecOptions = {}): Promise<RemoteResult> {
    switch (this.root.kind) {
      case 'root':
        return this.connection.exec(argv, options);
      case 'sudo':
        return this.connection.exec(['sudo', '-n', '--', ...argv], options);
      case 'sudo-password': {
        // -k: always ask, so sudo always reads exactly the first line (the password) and
        // the rest of stdin reaches the command. -p '': no prompt text in the output.
        const stdin = withPasswordLine(this.root.password, options.stdin);
        return this.connection.exec(['sudo', '-k', '-S', '-p', '', '--', ...argv], { ...options, stdin });
      }
    }
  }

  /** Start an argument vector as root and hand back its channel (the sudo password, if any, already sent). */
  async spawnAsRoot(argv: readonly string[]): Promise<RemoteChannel> {
    switch (this.root.kind) {
      case 'root':
        return this.connection.spawn(argv);
      case 'sudo':
        return this.connection.spawn(['sudo', '-n', '--', ...argv]);
      case 'sudo-password': {
        const channel = await this.connection.spawn(['sudo', '-k', '-S', '-p', '', '--', ...argv]);
        channel.write(`${this.root.password}\n`);
        return channel;
      }
    }
  }

  /** Run a script as root. */
  scriptAsRoot(script: string, args: readonly string[], options: ExecOptions = {}): Promise<RemoteResult> {
    return this.asRoot(['sh', '-c', script, 'fleet', ...args], options);
  }

  close(): void {
    this.connection.close();
  }
}

function withPasswordLine(password: string, stdin: ExecOptions['stdin']): string | Buffer | Readable {
  if (stdin === undefined) return `${password}\n`;
  if (typeof stdin === 'string') return `${password}\n${stdin}`;
  if (Buffer.isBuffer(stdin)) return Buffer.concat([Buffer.from(`${password}\n`), stdin]);
  const out = new PassThrough();
  out.write(`${password}\n`);
  stdin.on('error', (e) => out.destroy(e));
  stdin.pipe(out);
  return out;
}

/**
 * Find out how to become root: the login user is root; or `sudo -n` works; or sudo wants a
 * password, which `askPassword` provides (checked here, asked again up to 3 times).
 */
export async function negotiateRoot(
  connection: SshConnection,
  askPassword: (retry: boolean) => Promise<string | undefined>,
  signal?: AbortSignal,
  /** The login user's uid when already known (saves a round trip). */
  knownUid?: string,
): Promise<RootAccess> {
  const uid = knownUid ?? (await connection.exec(['id', '-u'], { ...(signal ? { signal } : {}) })).stdout.trim();
  if (uid === '0') return { kind: 'root' };
  const probe = await connection.exec(['sudo', '-n', 'true'], { ...(signal ? { signal } : {}) });
  if (probe.code === 0) return { kind: 'sudo' };
  if (!/password|askpass/i.test(probe.stderr)) {
    throw new FleetError('sudo-failed', `${connection.user}@${connection.config.alias} cannot use sudo: ${probe.stderr.trim() || `exit code ${probe.code}`}.`, {
      hint: 'Deploy as root, or give this user sudo rights on the host.',
    });
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const password = await askPassword(attempt > 0);
    if (password === undefined) {
      throw new FleetError('sudo-failed', `sudo on ${connection.config.alias} needs ${connection.user}'s password, and none was given.`);
    }
    const check = await connection.exec(['sudo', '-k', '-S', '-p', '', '--', 'true'], { stdin: `${password}\n`, ...(signal ? { signal } : {}) });
    if (check.code === 0) return { kind: 'sudo-password', password };
  }
  throw new FleetError('sudo-failed', `sudo on ${connection.config.alias} refused the password 3 times.`);
}
