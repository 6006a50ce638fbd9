import * as net from 'node:net';
import * as path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import ssh2, { type Client as SshClient, type ClientChannel, type ConnectConfig } from 'ssh2';
import { FleetError } from '../contract';
import { authHandlerFor, defaultKeyFiles, type AuthPlan, type PassphraseCache, type PassphrasePrompt, type PasswordPrompt } from './auth';
import { appendKnownHost, fingerprintSha256, knownHostsName, knownKeyTypes, readKnownHosts, verifyHostKey } from './known-hosts';
import { cheaperPacketsFor, type PacketMemory } from './packet-alloc';
import { quoteRemoteArgs } from './quote';
import { parseJumpHop, resolveSshHost, type SshHostConfig } from './ssh-config';

/** What a host answered: exit code (null when killed by a signal) and its output. */
export interface RemoteResult {
  readonly code: number | null;
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout was longer than `maxStdout`: only its first `maxStdout` characters are kept. */
  readonly truncated?: boolean;
}

/** A running remote command's channel (write: its stdin, read: its stdout, `.stderr`). */
export type RemoteChannel = ClientChannel;

/** The default cap on the stdout an exec keeps in memory (callbacks still see all of it). */
export const defaultMaxStdout = 16 * 1024 * 1024;

export interface ExecOptions {
  /** Sent on the command's stdin, then closed. A Readable is piped (backpressure kept). */
  readonly stdin?: string | Buffer | Readable;
  readonly onStdoutLine?: (line: string) => void;
  /** Every stdout chunk as it arrives, as bytes (binary protocols, byte offsets). */
  readonly onStdoutData?: (chunk: Buffer) => void;
  readonly onStderrLine?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Keep at most this many characters of stdout (default 16 MiB; 0 keeps none). */
  readonly maxStdout?: number;
  /**
   * Forward this machine's ssh-agent into this one command (the connection must be opened
   * with `forwardAgent`): a build host signs in to a target with it, the key never leaves here.
   */
  readonly forwardAgent?: boolean;
}

/**
 * Asked when a host presents a key no known_hosts file lists: true accepts (and remembers)
 * it. Throwing a FleetError refuses the key with that error.
 */
export type UnknownKeyPrompt = (info: { readonly host: string; readonly fingerprint: string; readonly keyType: string }) => Promise<boolean>;

export interface ConnectOptions {
  /**
   * The host as the user named it: an ~/.ssh/config alias, a DNS name or an address. Over
   * a `stream`, the name its host key is known by (e.g. "adb:<serial>").
   */
  readonly host: string;
  /**
   * Talk SSH over this stream instead of opening TCP (a phone's adb forward): no HostName,
   * no ProxyJump; ~/.ssh/config still gives the user and keys for `host`.
   */
  readonly stream?: Duplex;
  /** Log in with this key file only (no agent, no other keys), as `ssh -i <file> -o IdentitiesOnly=yes`. */
  readonly identityFile?: string;
  /** From meta.json's deploy object: win over ~/.ssh/config, as `ssh user@host -p port` would. */
  readonly user?: string;
  readonly port?: number;
  readonly home: string;
  /** The app's own known_hosts, where accepted keys are written. */
  readonly appKnownHosts: string;
  readonly agentSocket?: string;
  readonly passphrases: PassphraseCache;
  readonly askPassphrase?: PassphrasePrompt;
  /** Asked last, when keys did not do and the server offers password logins (and ssh_config allows them). */
  readonly askPassword?: PasswordPrompt;
  readonly askUnknownKey: UnknownKeyPrompt;
  readonly connectTimeoutMs?: number;
  readonly keepaliveMs?: number;
  readonly signal?: AbortSignal;
  /** Allow commands to ask for agent forwarding (ExecOptions.forwardAgent); needs `agentSocket`. */
  readonly forwardAgent?: boolean;
}

/** The host key each connected client presented (and known_hosts or the person accepted). */
const verifiedHostKeys = new WeakMap<object, Buffer>();

// ssh2 is CommonJS: its named exports are only reachable through the default export under ESM.
const { Client } = ssh2;
type Client = SshClient;

const defaultConnectTimeoutMs = 10_000;

/**
 * One SSH connection to a host (through its ProxyJump hops), reused for every command of a
 * deploy. Every command is an argument vector; it is quoted here and nowhere else.
 */
export class SshConnection {
  private closed = false;
  /** The fastest keepalive round trip seen on this connection (see roundTripMs). */
  private fastestRoundTripMs?: number;
  private constructor(
    private readonly client: Client,
    private readonly hops: readonly Client[],
    readonly config: SshHostConfig,
    readonly user: string,
  ) {
    client.on('close', () => (this.closed = true));
  }

  /**
   * Open a connection: settings from ~/.ssh/config, host key checked against known_hosts,
   * the agent then key files, then (when asked and allowed) the password. Over TCP through
   * the ProxyJump hops, or over `options.stream`.
   */
  static async open(options: ConnectOptions): Promise<SshConnection> {
    const config = resolveSshHost(options.host, { home: options.home });
    const target: SshHostConfig = {
      ...config,
      ...(options.port ? { port: options.port } : {}),
      ...(options.identityFile ? { identityFiles: [options.identityFile], identitiesOnly: true } : {}),
    };
    const user = options.user ?? config.user ?? process.env.USER ?? 'root';
    if (options.stream) {
      // The stream already reaches the host: its name is what known_hosts knows it by.
      const direct: SshHostConfig = { ...target, hostName: options.host, proxyJump: [] };
      const client = await connectClient(direct, user, options, options.stream);
      return new SshConnection(client, [], direct, user);
    }
    const hops: Client[] = [];
    try {
      const jumps = config.proxyJump.map((hop) => {
        const parsed = parseJumpHop(hop);
        const hopConfig = resolveSshHost(parsed.host, { home: options.home });
        return { target: { ...hopConfig, ...(parsed.port ? { port: parsed.port } : {}) }, user: parsed.user ?? hopConfig.user ?? user };
      });
      let sock: Readable | undefined;
      for (const [i, jump] of jumps.entries()) {
        const client = await connectClient(jump.target, jump.user, options, sock);
        hops.push(client);
        // Each hop opens a tunnel to the next hop, the last one to the host itself.
        const next = jumps[i + 1]?.target ?? target;
        sock = await forward(client, next.hostName, next.port);
      }
      const client = await connectClient(target, user, options, sock);
      return new SshConnection(client, hops, target, user);
    } catch (error) {
      for (const hop of hops.reverse()) hop.end();
      throw error;
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** The host's verified key as a known_hosts key ("ssh-ed25519 AAAA..."), to vouch for it to another machine. */
  get hostKey(): string | undefined {
    const key = verifiedHostKeys.get(this.client);
    if (!key || key.length < 4) return undefined;
    const type = key.subarray(4, 4 + key.readUInt32BE(0)).toString('latin1');
    return `${type} ${key.toString('base64')}`;
  }

  /** Run an argument vector on the host (quoted) and collect its output. */
  exec(argv: readonly string[], options: ExecOptions = {}): Promise<RemoteResult> {
    return this.execLine(quoteRemoteArgs(argv), options);
  }

  /**
   * Start an argument vector and hand back its channel (write: its stdin, read: its stdout,
   * `.stderr`), for binary protocols such as `nix-store --serve`.
   */
  spawn(argv: readonly string[]): Promise<RemoteChannel> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new FleetError('connection-lost', `The connection to ${this.config.alias} is closed.`));
      this.client.exec(quoteRemoteArgs(argv), (error, channel) => {
        if (error) reject(new FleetError('connection-lost', `Lost the connection to ${this.config.alias}: ${error.message}.`));
        else resolve(channel);
      });
    });
  }

  /** Run a constant sh script from this code base with quoted positional arguments. */
  script(script: string, args: readonly string[], options: ExecOptions = {}): Promise<RemoteResult> {
    return this.exec(['sh', '-c', script, 'fleet', ...args], options);
  }

  private execLine(command: string, options: ExecOptions): Promise<RemoteResult> {
    return new Promise<RemoteResult>((resolve, reject) => {
      if (options.signal?.aborted) return reject(new FleetError('cancelled', 'Cancelled.'));
      if (this.closed) return reject(new FleetError('connection-lost', `The connection to ${this.config.alias} is closed.`));
      const done = (error: Error | undefined, channel: ClientChannel) => {
        if (error) return reject(new FleetError('connection-lost', `Lost the connection to ${this.config.alias}: ${error.message}.`));
        collect(channel, options, this.config.alias).then(resolve, reject);
      };
      // ssh2 honours agentForward per command, though its types only list it per connection.
      const forward: ssh2.ExecOptions & { agentForward?: boolean } = { agentForward: true };
      if (options.forwardAgent) this.client.exec(command, forward, done);
      else this.client.exec(command, done);
    });
  }

  /**
   * The link's round trip in ms: the fastest of `samples` more keepalive requests and of
   * every one measured on this connection before. sshd answers them from its own event
   * loop (no process started on the host, no store lookup); what still inflates a sample
   * is this process being busy when the answer comes (20 handshakes or copies starting at
   * once), so a sample taken at a quieter moment keeps counting. Undefined once the
   * connection is closed, or when this ssh2 has no way to send one.
   */
  async roundTripMs(samples = 3): Promise<number | undefined> {
    if (this.closed) return undefined;
    // ssh2's own keepalive does exactly this (client.js sendKA); it has no public API for it.
    const inner = this.client as unknown as { _protocol?: { ping?: () => void }; _callbacks?: ((failed: boolean) => void)[] };
    for (let i = 0; i < samples; i++) {
      if (this.closed || typeof inner._protocol?.ping !== 'function' || !Array.isArray(inner._callbacks)) break;
      const sent = performance.now();
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 5000);
        // Replies come in request order: this callback gets the answer to this ping.
        inner._callbacks!.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
        inner._protocol!.ping!();
      });
      if (!answered) break;
      const ms = performance.now() - sent;
      this.fastestRoundTripMs = Math.min(this.fastestRoundTripMs ?? ms, ms);
    }
    return this.fastestRoundTripMs;
  }

  /** Close the connection and its hops. */
  close(): void {
    this.client.end();
    for (const hop of [...this.hops].reverse()) hop.end();
  }
}

function collect(channel: ClientChannel, options: ExecOptions, alias: string): Promise<RemoteResult> {
  return new Promise<RemoteResult>((resolve, reject) => {
    const maxStdout = options.maxStdout ?? defaultMaxStdout;
    let stdout = '';
    let truncated = false;
    let stderr = '';
    let code: number | null = null;
    let signal: string | undefined;
    let settled = false;
    const outLines = splitter(options.onStdoutLine);
    const errLines = splitter(options.onStderrLine);
    channel.on('data', (chunk: Buffer) => {
      options.onStdoutData?.(chunk);
      const text = chunk.toString('utf8');
      // Bounded: a command that prints without end never holds more than maxStdout here.
      if (!truncated) {
        stdout += text;
        if (stdout.length > maxStdout) {
          stdout = stdout.slice(0, maxStdout);
          truncated = true;
        }
      }
      outLines.push(text);
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr += text;
      if (stderr.length > 2 * 1024 * 1024) stderr = stderr.slice(-1024 * 1024);
      errLines.push(text);
    });
    channel.on('exit', (c: number | null, s?: string) => {
      code = c;
      if (s) signal = s;
    });
    const onAbort = () => {
      // Ask the remote side to stop, then drop the channel. sshd keeps a channel without a
      // terminal open until its command exits, so the caller is answered now, not then.
      try {
        channel.signal('TERM');
      } catch {
        // not supported by every server
      }
      channel.close();
      if (settled) return;
      settled = true;
      reject(new FleetError('cancelled', 'Cancelled.'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    channel.on('close', () => {
      options.signal?.removeEventListener('abort', onAbort);
      outLines.end();
      errLines.end();
      if (settled) return;
      settled = true;
      if (options.signal?.aborted) return reject(new FleetError('cancelled', 'Cancelled.'));
      if (code === null && signal === undefined) {
        return reject(new FleetError('connection-lost', `The connection to ${alias} was lost while a command ran.`));
      }
      resolve({ code, ...(signal ? { signal } : {}), stdout, stderr, ...(truncated ? { truncated } : {}) });
    });
    const input = options.stdin;
    if (input === undefined) channel.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) channel.end(input);
    else {
      input.on('error', () => channel.close());
      input.pipe(channel);
    }
  });
}

function splitter(onLine?: (line: string) => void): { push(text: string): void; end(): void } {
  let rest = '';
  return {
    push(text) {
      if (!onLine) return;
      rest += text;
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    },
    end() {
      if (onLine && rest) onLine(rest);
      rest = '';
    },
  };
}

function forward(client: Client, host: string, port: number): Promise<Readable> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
      if (error) reject(new FleetError('host-unreachable', `The jump host could not reach ${host}:${port}: ${error.message}`));
      else resolve(stream);
    });
  });
}

/** Connect one client (a hop or the target), verifying its host key against known_hosts. */
function connectClient(target: SshHostConfig, user: string, options: ConnectOptions, sock?: Readable | Duplex): Promise<Client> {
  const names = [
    ...(target.hostKeyAlias ? [target.hostKeyAlias] : [target.alias, target.hostName]).map((n) => knownHostsName(n, target.port)),
  ];
  const files = [
    ...(target.userKnownHostsFiles.length > 0
      ? target.userKnownHostsFiles
      : [path.join(options.home, '.ssh', 'known_hosts'), path.join(options.home, '.ssh', 'known_hosts2')]),
    options.appKnownHosts,
  ];
  const entries = readKnownHosts(files);
  const preferred = knownKeyTypes(entries, names);
  const tried: string[] = [];
  // The connect timeout covers reaching the host and logging in, but not the time a person
  // takes to type a passphrase or password: the clock stops while a question is open.
  const timeoutMs = options.connectTimeoutMs ?? (target.connectTimeout ? target.connectTimeout * 1000 : defaultConnectTimeoutMs);
  const clock: { timer?: NodeJS.Timeout; onTimeout?: () => void } = {};
  const startClock = () => {
    clearTimeout(clock.timer);
    clock.timer = setTimeout(() => clock.onTimeout?.(), timeoutMs);
  };
  const whileAsking = <A extends unknown[], R>(ask: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    clearTimeout(clock.timer);
    try {
      return await ask(...args);
    } finally {
      startClock();
    }
  };
  const plan: AuthPlan = {
    username: user,
    ...(options.agentSocket && !target.identitiesOnly ? { agentSocket: options.agentSocket } : {}),
    keyFiles: target.identityFiles.length > 0 ? target.identityFiles : defaultKeyFiles(options.home),
    passphrases: options.passphrases,
    ...(options.askPassphrase ? { askPassphrase: whileAsking(options.askPassphrase) } : {}),
    ...(options.askPassword && target.passwordAuthentication ? { askPassword: whileAsking(options.askPassword) } : {}),
    passwords: target.passwordAuthentication,
    who: `${user}@${target.alias}${target.port !== 22 ? `:${target.port}` : ''}`,
  };
  const where = `${user}@${target.alias}${target.hostName !== target.alias ? ` (${target.hostName}:${target.port})` : ''}`;
  let keyProblem: FleetError | undefined;

  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const fail = (error: FleetError) => {
      if (settled) return;
      settled = true;
      clearTimeout(clock.timer);
      options.signal?.removeEventListener('abort', onAbort);
      client.end();
      reject(error);
    };
    const onAbort = () => fail(new FleetError('cancelled', 'Cancelled.'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    clock.onTimeout = () => {
      fail(new FleetError('host-unreachable', `${where} did not answer within ${Math.round(timeoutMs / 1000)} s.`));
      client.destroy();
    };
    client.on('ready', () => {
      clearTimeout(clock.timer);
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      resolve(client);
    });
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      if (keyProblem) return fail(keyProblem);
      if (error.level === 'client-authentication') {
        return fail(
          new FleetError('auth-failed', `${where} refused ${tried.includes('password') ? 'every key and the password' : 'every key'} (${tried.join(', ') || 'no key found'}).`, {
            hint: 'Load your key into ssh-agent, or name it with IdentityFile in ~/.ssh/config, and make sure it is in the authorized_keys of that user.',
          }),
        );
      }
      fail(new FleetError('host-unreachable', `Cannot connect to ${where}: ${error.message}.`));
    });
    client.on('close', () => fail(keyProblem ?? new FleetError('host-unreachable', `${where} closed the connection.`)));

    const config: ConnectConfig = {
      host: target.hostName,
      port: target.port,
      username: user,
      readyTimeout: 0, // our own clock above, which stops while a question is open
      keepaliveInterval: options.keepaliveMs ?? 5000,
      keepaliveCountMax: 3,
      ...(sock ? { sock } : {}),
      ...(options.forwardAgent && options.agentSocket ? { agent: options.agentSocket } : {}),
      ...(preferred.length > 0 ? { algorithms: { serverHostKey: preferredHostKeys(preferred) } } : {}),
      authHandler: authHandlerFor(plan, tried),
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const verdict = verifyHostKey(entries, names, key);
        const fingerprint = fingerprintSha256(key);
        switch (verdict.kind) {
          case 'known':
            verifiedHostKeys.set(client, key);
            return verify(true);
          case 'revoked':
            keyProblem = new FleetError('host-key-revoked', `The host key of ${target.alias} (${fingerprint}) is marked @revoked in ${verdict.file}:${verdict.line}. Refusing to connect.`);
            return verify(false);
          case 'changed':
            keyProblem = new FleetError(
              'host-key-changed',
              `WARNING: the host key of ${target.alias} has CHANGED. It now presents ${fingerprint}, but ${verdict.file}:${verdict.line} has ${verdict.knownFingerprint}. Someone could be intercepting the connection, or the host was reinstalled. Refusing to connect.`,
              { hint: `If you know why the key changed, remove line ${verdict.line} of ${verdict.file} (ssh-keygen -R ${target.alias}) and deploy again to accept the new key.` },
            );
            return verify(false);
          case 'unknown':
            options.askUnknownKey({ host: target.alias, fingerprint, keyType: key.length > 4 ? key.subarray(4, 4 + key.readUInt32BE(0)).toString('latin1') : '' }).then(
              (accepted) => {
                if (accepted) {
                  appendKnownHost(options.appKnownHosts, [...new Set(names)], key);
                  verifiedHostKeys.set(client, key);
                  return verify(true);
                }
                keyProblem = new FleetError('host-key-rejected', `The host key of ${target.alias} (${fingerprint}) is not known and was not accepted.`, {
                  hint: 'Check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and accept it, or deploy with --accept-new-host-keys.',
                });
                verify(false);
              },
              (error: unknown) => {
                if (error instanceof FleetError) keyProblem = error;
                verify(false);
              },
            );
            return;
        }
      },
    };
    startClock();
    client.connect(config);
    // Every exec is a few small packets each way: without TCP_NODELAY, Nagle's algorithm and
    // the peer's delayed ACK hold each round trip for ~40 ms (measured: 47 ms per `true`, 6 ms with it).
    client.setNoDelay(true);
    const socket = (client as unknown as { _sock?: unknown })._sock;
    const packets = cheaperPacketsFor((client as unknown as { _protocol?: unknown })._protocol, socket instanceof net.Socket);
    coalesceWrites(socket, packets);
  });
}

/**
 * Let everything ssh2 writes to a TCP socket in one turn of the event loop leave in one
 * writev. Without its optional native binding (built only when npm runs ssh2's install
 * script) ssh2 hands the socket every packet as three buffers (length, ciphertext, tag or
 * MAC), and with TCP_NODELAY each write was a syscall and a TCP segment of its own: ~29,000
 * for a 300 MB copy, two in three of them 4 or 16 bytes that the host's kernel and sshd
 * took in one by one. Corked until the turn ends, what a window adjustment lets out leaves
 * in one writev: the host's sshd spent 0.63 s instead of 0.81 s per 300 MB copy (this
 * process the same, docs/BENCHMARKS.md); an exec's request still leaves in the same turn,
 * unlike with Nagle's algorithm. A packet cut from `packets` is written with the callback that
 * lets its memory be reused once written.
 */
function coalesceWrites(sock: unknown, packets: PacketMemory | undefined): void {
  if (!(sock instanceof net.Socket)) return;
  if (packets) sock.once('close', () => packets.closed());
  let corked = false;
  const uncork = () => {
    corked = false;
    sock.uncork();
  };
  const write = sock.write;
  sock.write = function (this: net.Socket, ...args: Parameters<net.Socket['write']>) {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    // ssh2 writes one buffer and no callback.
    const written = args.length === 1 ? packets?.sending(args[0]) : undefined;
    if (written) return (write as (chunk: unknown, cb: (error?: Error | null) => void) => boolean).call(this, args[0], written);
    return (write as (...a: Parameters<net.Socket['write']>) => boolean).apply(this, args);
  } as net.Socket['write'];
}

const allHostKeyAlgorithms = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;

/** Host key algorithms with the ones known_hosts already has first (as OpenSSH orders them). */
function preferredHostKeys(known: readonly string[]): (typeof allHostKeyAlgorithms)[number][] {
  const wants = new Set(known.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])));
  const first = allHostKeyAlgorithms.filter((a) => wants.has(a));
  return [...first, ...allHostKeyAlgorithms.filter((a) => !wants.has(a))];
}
