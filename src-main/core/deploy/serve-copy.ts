import type { Readable, Writable } from 'node:stream';
import type { RemoteChannel } from '../ssh/connection';
import { narChunks, narSizeOf, narTree, readAhead, type NarNode } from './nar';
import { FleetError } from '../contract';
import { requireNixStore } from '../nix/runner';
import { spawnProcess } from '../process/run';
import type { HostSession } from './host-session';
import {
  ExactReader,
  addToStoreNarHeader,
  cmdDumpStorePath,
  cmdQueryValidPaths,
  serveMagic1,
  serveMagic2,
  serveVersion,
  str,
  strs,
  u64,
  writeDrained,
  type NarInfo,
} from './serve-protocol';

export interface HostServeOptions {
  readonly signal?: AbortSignal;
  /** Through sudo (a non-root login user may not be trusted by the host's nix-daemon). */
  readonly importAsRoot?: boolean;
}

export interface AddOptions {
  readonly env: NodeJS.ProcessEnv;
  /**
   * Where NARs come from: serialised here from the store's files (default), a local
   * `nix-store --serve`, or another one (a build host's, for a relay).
   */
  readonly narSource?: 'here' | 'nix-store' | NarDump;
  readonly onBytes: (count: number) => void;
  readonly onPath: () => void;
}

/**
 * The host's `nix-store --serve --write` on one channel of the deploy's connection: the
 * same protocol nix-copy-closure speaks. One process answers which paths the host lacks
 * (and keeps them from its garbage collector while it lives) and then takes their NARs,
 * so a copy costs one remote process, not one per question.
 */
export class HostServe {
  private stderr = '';
  /** The link's round trip (ms), measured while the host's side starts: sizes how much may be in flight (see limitInFlight). */
  private readonly roundTripMs: Promise<number | undefined>;
  private readonly reader: ExactReader;
  private readonly exited: Promise<number | null>;
  private readonly onAbort = () => this.close();

  private constructor(
    private readonly alias: string,
    private readonly channel: RemoteChannel,
    private readonly signal: AbortSignal | undefined,
    roundTripMs: Promise<number | undefined>,
  ) {
    this.roundTripMs = roundTripMs;
    channel.stderr.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString('utf8')).slice(-8192)));
    channel.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      let code: number | null = null;
      channel.on('exit', (c: number | null) => (code = c));
      channel.on('close', () => resolve(code));
    });
    this.reader = new ExactReader(channel);
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) this.close();
  }

  /** Start the host's side and shake hands. */
  static async open(session: HostSession, options: HostServeOptions = {}): Promise<HostServe> {
    const argv = ['nix-store', '--serve', '--write'];
    const roundTripMs = session.connection.roundTripMs().catch(() => undefined);
    const channel = options.importAsRoot ? await session.spawnAsRoot(argv) : await session.connection.spawn(argv);
    const serve = new HostServe(session.connection.config.alias, channel, options.signal, roundTripMs);
    try {
      channel.write(Buffer.concat([u64(serveMagic1), u64(serveVersion)]));
      const magic = await serve.reader.u64().catch(async () => {
        throw await serve.failure('start nix-store --serve --write');
      });
      if (magic !== serveMagic2) throw await serve.failure('speak the nix serve protocol');
      const version = await serve.reader.u64();
      if ((version & 0xffn) < 5n) throw new FleetError('copy-failed', `${serve.alias} runs a nix too old for streamed copies (serve protocol ${version >> 8n}.${version & 0xffn}).`);
      return serve;
    } catch (error) {
      serve.close();
      throw serve.wrap(error);
    }
  }

  /** Which of `paths` the host lacks, in one round trip; the ones it has stay rooted while this lives. */
  async missing(paths: readonly string[]): Promise<string[]> {
    if (paths.length === 0) return [];
    try {
      this.channel.write(Buffer.concat([u64(cmdQueryValidPaths), u64(1) /* lock */, u64(0) /* substitute */, strs(paths)]));
      const valid = new Set(await this.reader.strings());
      return paths.filter((p) => !valid.has(p));
    } catch (error) {
      throw this.wrap(error, 'check its store');
    }
  }

  /**
   * Send `paths` (references first) in one stream as cmdAddToStoreNar; the host hashes
   * each NAR as it arrives and acknowledges the path once it is in its store.
   */
  async add(paths: readonly NarInfo[], options: AddOptions): Promise<void> {
    if (paths.length === 0) return;
    limitInFlight(this.channel, await this.roundTripMs);
    // NARs are serialised here; a path whose tree does not add up to the store's narSize
    // (or any path, with narSource 'nix-store') comes from a local `nix-store --serve`.
    let local: NarDump | undefined = typeof options.narSource === 'object' ? options.narSource : undefined;
    const stopLocal = () => local?.kill();
    this.signal?.addEventListener('abort', stopLocal, { once: true });
    const acks = (async () => {
      for (const info of paths) {
        const ok = await this.reader.u64().catch(async () => {
          throw await this.failure(`add ${info.path}`);
        });
        if (ok !== 1n) throw await this.failure(`add ${info.path}`);
        options.onPath();
      }
    })();
    acks.catch(() => undefined);
    // A path's header goes out with the first piece of its NAR: one SSH packet, not two.
    let header: Buffer | undefined;
    const send = (chunk: Buffer) => {
      if (this.signal?.aborted) throw new FleetError('cancelled', 'Cancelled.');
      options.onBytes(chunk.length);
      const out = header ? Buffer.concat([header, chunk]) : chunk;
      header = undefined;
      return writeDrained(this.channel, out);
    };
    try {
      for (const info of paths) {
        const tree = options.narSource === undefined || options.narSource === 'here' ? await readTree(info.path) : undefined;
        header = addToStoreNarHeader(info);
        try {
          if (tree && narSizeOf(tree) === info.narSize) {
            for await (const chunk of readAhead(narChunks(tree), 8 * 1024 * 1024)) await send(chunk);
          } else {
            if (header) await writeDrained(this.channel, header);
            header = undefined;
            local ??= await NarDump.local(options.env);
            await local.dump(info.path, info.narSize, this.channel, options.onBytes);
          }
        } catch (error) {
          await acks; // a failure of the host explains more than a broken pipe
          throw (error instanceof FleetError ? error : local?.failure(info.path)) ?? new FleetError('copy-failed', `Reading ${info.path} here failed: ${(error as Error).message}`);
        }
      }
      await acks;
    } catch (error) {
      throw this.wrap(error);
    } finally {
      this.signal?.removeEventListener('abort', stopLocal);
      local?.kill();
    }
  }

  /** End the session cleanly (the host's process exits when its input ends). */
  async finish(): Promise<void> {
    this.channel.end();
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))]);
    this.close();
  }

  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.channel.close();
  }

  private async failure(what: string): Promise<FleetError> {
    // The reason is on stderr, which may trail the end of stdout by a moment.
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 500))]);
    const why = this.stderr.trim().split('\n').slice(-3).join(' ');
    return new FleetError('copy-failed', `${this.alias} could not ${what}: ${why || 'the connection was closed'}`, {
      hint: /No space left/i.test(why)
        ? "The host's disk is full: collect garbage there (nix-collect-garbage -d) and deploy again."
        : /trusted|signature|not allowed/i.test(why)
          ? "The login user may not add paths to the host's store: deploy as root, enable sudo for this host, or add the user to trusted-users."
          : /not found/i.test(why)
            ? 'Is nix installed on the host, and nix-store on the PATH of non-interactive SSH sessions?'
            : undefined,
    });
  }

  private wrap(error: unknown, what?: string): FleetError {
    if (this.signal?.aborted) return new FleetError('cancelled', 'Cancelled.');
    if (error instanceof FleetError) return error;
    const message = (error as Error).message;
    return new FleetError('connection-lost', `Lost the connection to ${this.alias} while ${what ? `asking it to ${what}` : 'copying'}: ${message}.`);
  }
}

/** The least in flight: well above the ~96 KiB sshd takes in before it returns window, so the copy never waits on it. */
const minInFlight = 256 * 1024;
/** A round trip (ms) no busy machine here fakes: below it the link is short (LAN, loopback) whatever a sample says. */
const longLinkMs = 25;
/** On a long link, in-flight bytes per ms of round trip: fills it up to ~64 MB/s (sshd's 2 MiB window caps it at ~35 ms). */
const inFlightPerMs = 64 * 1024;

/**
 * Keep about what the link holds of NAR bytes on their way to the host's nix-store, instead
 * of sshd's whole 2 MiB channel window. Whatever the host's importer has not taken yet waits
 * in sshd's channel buffer, and OpenSSH moves that buffer's contents (memmove) for every
 * 32 KiB packet it appends to a full buffer: with the window full, sshd spent ~1 ms of CPU
 * per packet (1.5 s for a 45 MB copy, 4x nix-copy-closure's; process accounting and perf,
 * tests/bench/host-cpu.ts); six parallel copies of a 7.7 MB closure cost the hosts' sshd
 * 7.3 s with the full window, 0.5 s with 512 KiB in flight and 0.3 s with 256 KiB
 * (docs/BENCHMARKS.md). ssh2 counts down the window it may use and waits for the host's
 * window adjustments at zero, so a smaller starting figure is all it takes; sshd returns
 * window once it has passed ~96 KiB on, so 256 KiB cannot stall (64 KiB does). 256 KiB per
 * round trip fills a 50 Mbit/s link at 30 ms; longer links get more, where the link is the
 * bottleneck and sshd's buffer stays short anyway. The round trip is the fastest keepalive
 * sshd answered on this connection (SshConnection.roundTripMs): with 6 copies starting at
 * once on a machine at load 15, samples still came out at 4-20 ms on loopback (this
 * process waiting for a CPU), hence the threshold; a store query's round trip (used before)
 * took 50-180 ms there and lifted the limit off entirely.
 */
function limitInFlight(channel: RemoteChannel, roundTripMs: number | undefined): void {
  const outgoing = (channel as unknown as { outgoing?: { window?: number } }).outgoing;
  if (typeof outgoing?.window !== 'number') return;
  const rtt = roundTripMs ?? 0;
  const wanted = rtt >= longLinkMs ? Math.max(minInFlight, Math.round(rtt * inFlightPerMs)) : minInFlight;
  outgoing.window = Math.min(outgoing.window, wanted);
}

/** A store path's tree, or undefined when it cannot be read here (nix-store --serve then dumps it). */
async function readTree(storePath: string): Promise<NarNode | undefined> {
  try {
    return await narTree(storePath);
  } catch {
    return undefined;
  }
}

/**
 * A `nix-store --serve` that dumps NARs out of its store, one path at a time: this machine's
 * (a path whose files do not add up here), or a build host's over its session, whose NARs
 * are then streamed on to the target without ever entering this machine's store (a relay).
 */
export class NarDump {
  private readonly reader: ExactReader;
  private stderr = '';

  private constructor(
    private readonly stdin: Writable,
    stdout: Readable,
    /** Whose store: "here", or the build host's name. */
    private readonly where: string,
    private readonly stop: () => void,
  ) {
    this.reader = new ExactReader(stdout);
  }

  /** This machine's nix-store --serve. */
  static async local(env: NodeJS.ProcessEnv): Promise<NarDump> {
    const stop = new AbortController();
    const child = spawnProcess(requireNixStore(env), ['--serve'], {
      env,
      openStdin: true,
      signal: stop.signal,
      killGraceMs: 0,
      onStderrLine: (line) => dump.note(line),
    });
    const dump = new NarDump(child.stdin!, child.stdout, 'here', () => stop.abort());
    // Its end is read through the reader; a failure to start shows in stderr for failure().
    child.done.catch((e: Error) => {
      if (!stop.signal.aborted) dump.note(e.message);
    });
    return dump.handshake();
  }

  /** A host's nix-store --serve (read-only) on a channel of its session. */
  static async remote(session: HostSession, name: string): Promise<NarDump> {
    const channel = await session.connection.spawn(['nix-store', '--serve']);
    channel.on('error', () => undefined);
    const dump = new NarDump(channel, channel, name, () => channel.close());
    channel.stderr.on('data', (c: Buffer) => dump.note(c.toString('utf8')));
    return dump.handshake();
  }

  private note(text: string): void {
    this.stderr = `${this.stderr}${text}${text.endsWith('\n') ? '' : '\n'}`.slice(-8192);
  }

  private async handshake(): Promise<NarDump> {
    this.stdin.write(Buffer.concat([u64(serveMagic1), u64(serveVersion)]));
    const magic = await this.reader.u64().catch(() => 0n);
    if (magic !== serveMagic2) {
      this.kill();
      const whose = this.where === 'here' ? 'The local nix-store --serve' : `nix-store --serve on ${this.where}`;
      throw new FleetError('copy-failed', `${whose} did not answer the handshake${this.stderr ? `: ${this.stderr.trim()}` : ''}.`);
    }
    await this.reader.u64();
    return this;
  }

  /** Forward the NAR of `storePath` (narSize bytes) to `sink`. */
  async dump(storePath: string, narSize: number, sink: Writable, onBytes: (count: number) => void): Promise<void> {
    this.stdin.write(Buffer.concat([u64(cmdDumpStorePath), str(storePath)]));
    await this.reader.pipeExactly(narSize, sink, onBytes);
  }

  failure(storePath: string): FleetError | undefined {
    return this.stderr ? new FleetError('copy-failed', `Reading ${storePath} ${this.where === 'here' ? 'here' : `on ${this.where}`} failed: ${this.stderr.trim()}`) : undefined;
  }

  /** End it (the local process tree, or the host's channel). */
  kill(): void {
    this.stdin.end();
    this.stop();
  }
}

/** Paths in an order where every path comes after the paths it references. */
export function referencesFirst(paths: readonly string[], referencesOf: (p: string) => readonly string[]): string[] {
  const wanted = new Set(paths);
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (p: string, depth: number) => {
    if (done.has(p) || depth > 10_000) return;
    done.add(p);
    for (const r of referencesOf(p)) if (wanted.has(r) && r !== p) visit(r, depth + 1);
    out.push(p);
  };
  for (const p of [...paths].sort()) visit(p, 0);
  return out;
}
