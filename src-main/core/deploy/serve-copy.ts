import type { Readable, Writable } from 'node:stream';
import { saysDiskFull } from '../nix/nix-errors';
import type { RemoteChannel } from '../ssh/connection';
import { narBuffers, narChunks, narTreeOfSize, readAhead, type SharedNars } from './nar';
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
  /**
   * The in-flight allowance: by default the floor (InFlightWindow); a fixed number of bytes, or
   * 'adaptive' (grows while sshd runs dry): for the bench's comparisons. Not the default: six
   * copies at once at load 25-29 found sshd dry at nearly every adjustment, and 2 MiB in flight
   * cost the hosts' sshd 3x the CPU of 256 KiB there (docs/BENCHMARKS.md).
   */
  readonly inFlight?: number | 'adaptive';
  /** NARs read once for all hosts of a deploy (serialised here only). */
  readonly nars?: SharedNars;
}

/**
 * The host's `nix-store --serve --write` on one channel of the deploy's connection: the
 * same protocol nix-copy-closure speaks. One process answers which paths the host lacks
 * (and keeps them from its garbage collector while it lives) and then takes their NARs,
 * so a copy costs one remote process, not one per question.
 */
export class HostServe {
  private stderr = '';
  /** The link's round trip (ms), measured while the host's side starts: sizes how much may be in flight (see InFlightWindow). */
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
  async add(paths: readonly NarInfo[], options: AddOptions): Promise<TransferStats | undefined> {
    if (paths.length === 0) return undefined;
    const window = InFlightWindow.install(this.channel, await this.roundTripMs, options.inFlight);
    const started = performance.now();
    let bytes = 0;
    let writes = 0;
    let readWaitMs = 0;
    let lastWrite = started;
    // NARs are serialised here; a path whose tree does not add up to the store's narSize
    // (or any path, with narSource 'nix-store') comes from a local `nix-store --serve`.
    let local: NarDump | undefined = typeof options.narSource === 'object' ? options.narSource : undefined;
    const stopLocal = () => local?.kill();
    this.signal?.addEventListener('abort', stopLocal, { once: true });
    let lastAck = started;
    const acks = (async () => {
      for (const info of paths) {
        const ok = await this.reader.u64().catch(async () => {
          throw await this.failure(`add ${info.path}`);
        });
        if (ok !== 1n) throw await this.failure(`add ${info.path}`);
        lastAck = performance.now();
        options.onPath();
      }
    })();
    acks.catch(() => undefined);
    const send = (piece: Buffer, narBytes: number) => {
      if (this.signal?.aborted) throw new FleetError('cancelled', 'Cancelled.');
      options.onBytes(narBytes);
      bytes += piece.length;
      writes++;
      lastWrite = performance.now();
      // Once the channel has put the piece into its packets, its buffer takes the next NAR piece.
      return writeDrained(this.channel, piece, () => narBuffers.give(piece));
    };
    // One read-ahead over the whole stream: the next path's tree and first pieces are read
    // while the last path's are still being sent, not after (a gap at every path otherwise).
    const hereFirst = options.narSource === undefined || options.narSource === 'here';
    const pieces = readAhead(narPieces(paths, hereFirst, options.nars), 8 * 1024 * 1024, (p) => ('data' in p ? p.data.length : 0));
    let current: NarInfo | undefined;
    try {
      for (;;) {
        // Time the sender had nothing left to hand ssh2 while it waited for the next piece.
        const asked = performance.now();
        const starved = this.channel.writableLength === 0;
        const next = await pieces.next();
        if (starved) readWaitMs += performance.now() - asked;
        if (next.done) break;
        const piece = next.value;
        if ('data' in piece) {
          await send(piece.data, piece.narBytes);
          continue;
        }
        current = piece.dump;
        await writeDrained(this.channel, addToStoreNarHeader(piece.dump));
        local ??= await NarDump.local(options.env);
        await local.dump(piece.dump.path, piece.dump.narSize, this.channel, (n) => {
          options.onBytes(n);
          bytes += n;
          writes++;
          lastWrite = performance.now();
        });
      }
      await acks;
      const sendMs = lastAck - started;
      return { bytes, writes, sendMs, readWaitMs, tailMs: Math.max(0, lastAck - lastWrite), ...(window?.stats() ?? { windowWaitMs: 0, adjustments: 0, medianBacklog: 0, starved: 0, allowance: { start: 0, max: 0, end: 0 } }) };
    } catch (error) {
      if (error instanceof ReadFailure) throw new FleetError('copy-failed', `Reading ${error.path} here failed: ${error.message}`);
      // A write that failed: the host's own reason (it ends the acknowledgements) explains more than a broken pipe.
      await Promise.race([acks, new Promise((resolve) => setTimeout(resolve, 2000))]);
      if (current && !(error instanceof FleetError)) {
        const failure = local?.failure(current.path);
        if (failure) throw failure;
      }
      throw this.wrap(error);
    } finally {
      await pieces.return(undefined).catch(() => undefined);
      this.signal?.removeEventListener('abort', stopLocal);
      local?.kill();
      window?.uninstall();
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
    // A cancel closes the channel: the host's answer that never came is no copy failure.
    if (this.signal?.aborted) return new FleetError('cancelled', 'Cancelled.');
    // The reason is on stderr, which may trail the end of stdout by a moment.
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 500))]);
    if (this.signal?.aborted) return new FleetError('cancelled', 'Cancelled.');
    const why = this.stderr.trim().split('\n').slice(-3).join(' ');
    const full = saysDiskFull(this.stderr);
    return new FleetError(full ? 'disk-full' : 'copy-failed', `${this.alias} could not ${what}: ${why || 'the connection was closed'}`, {
      hint: full
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

/** The least in flight: well above the ~96 KiB sshd takes in before it returns window, so the copy never stalls on it. */
const minInFlight = 256 * 1024;
/** The most: sshd's own channel window (OpenSSH CHAN_SES_WINDOW_DEFAULT). */
const maxInFlight = 2 * 1024 * 1024;
/** A round trip (ms) no busy machine here fakes: below it the link is short (LAN, loopback) whatever a sample says. */
const longLinkMs = 25;
/** On a long link, in-flight bytes per ms of round trip: fills it up to ~64 MB/s (sshd's 2 MiB window caps it at ~35 ms). */
const inFlightPerMs = 64 * 1024;
/**
 * Left unreturned right after one of sshd's window adjustments, less than this (beyond what a
 * long link itself holds) means sshd had (nearly) run dry before this side sent more: its
 * nix-store waited for this side. sshd passes data on through a 64 KiB pipe and returns
 * window for what went in, so while it has a backlog an adjustment leaves the allowance less
 * ~64 KiB unreturned.
 */
const starvedBelow = 64 * 1024;
/**
 * Grown by what an adjustment returned when the host ran dry; shrunk by a quarter of that
 * (at least this) at every other adjustment, so it settles at the least that keeps sshd fed,
 * and comes down from 2 MiB within ~8 MB once the host falls behind.
 */
const shrinkStep = 4 * 1024;

/** How the bytes went out (HostServe.add): for the bench and the deploy log. */
export interface TransferStats {
  /** NAR bytes written to the channel, and in how many writes. */
  readonly bytes: number;
  readonly writes: number;
  /** Wall time of the sending, from the first byte to the host's last acknowledgement. */
  readonly sendMs: number;
  /** Time ssh2 held data back because the in-flight allowance was used up (waiting for sshd's window adjustments). */
  readonly windowWaitMs: number;
  /** Time the sender waited for the next piece of NAR (reading and serialising here). */
  readonly readWaitMs: number;
  /** From the last byte written to the host's last acknowledgement (its nix-store finishing the last path). */
  readonly tailMs: number;
  /** sshd's window adjustments, what was still unreturned right after them (median, bytes), and how many found sshd run dry. */
  readonly adjustments: number;
  readonly medianBacklog: number;
  readonly starved: number;
  /** The in-flight allowance: where it started, its largest and its last value (bytes). */
  readonly allowance: { readonly start: number; readonly max: number; readonly end: number };
}

/**
 * How much of the NAR stream may be on its way to the host's nix-store, instead of sshd's
 * whole 2 MiB channel window, adapted to how the host keeps up.
 *
 * Whatever the host's importer has not taken yet waits in sshd's channel buffer, and OpenSSH
 * moves that buffer's contents (memmove) for every 32 KiB packet it appends to a full buffer:
 * with the window full, sshd spent ~1 ms of CPU per packet (1.5 s for a 45 MB copy, 4x
 * nix-copy-closure's; process accounting and perf, tests/bench/host-cpu.ts); six parallel
 * copies of a 7.7 MB closure cost the hosts' sshd 7.7 s with the full window, 0.9 s with
 * 512 KiB in flight and 0.7 s with 256 KiB (docs/BENCHMARKS.md). But one copy on an idle
 * link with only 256 KiB in flight may wait for sshd's window adjustments (1.8x the raw ssh
 * time on a quiet machine), so an opt-in 'adaptive' mode follows what sshd returns (by
 * default the allowance stays at the floor: six parallel copies on a busy machine found sshd
 * dry at nearly every adjustment, and growing there cost the hosts' sshd more CPU):
 *
 * - sshd returns window (SSH_MSG_CHANNEL_WINDOW_ADJUST) for what it has passed on to the
 *   host's nix-store, once ~96 KiB arrived since its last adjustment. Right after one, what is
 *   still unreturned is what sits in the link and in sshd's buffer.
 * - When that is under 64 KiB and the copy had to wait for this adjustment, sshd had (nearly)
 *   run dry waiting for this side: the allowance grows by what was returned (up to sshd's
 *   2 MiB window).
 * - Otherwise sshd still held a backlog when it returned window, and more in flight would only
 *   lengthen it: the allowance shrinks by a quarter of what was returned, down to its floor.
 *   The floor is 256 KiB, or on a long link (fastest keepalive round trip >= 25 ms,
 *   SshConnection.roundTripMs) 64 KiB per ms of round trip, which is also what may sit in the
 *   link itself without counting as backlog.
 *
 * ssh2 keeps the window it may use in `channel.outgoing.window`, counts it down as it sends
 * and adds sshd's adjustments to it (client.js CHANNEL_WINDOW_ADJUST), and waits at zero; an
 * accessor in its place sees both and answers the smaller of sshd's window and what the
 * allowance leaves. ssh2 reads the field and writes it back in the same synchronous step, so
 * the difference of a write to the last read is what was sent (negative) or returned.
 */
class InFlightWindow {
  private real: number;
  private lastRead = 0;
  private inFlight = 0;
  private allowance: number;
  private readonly floor: number;
  private readonly longLinkShare: number;
  private waitingSince: number | undefined;
  private readonly backlogs: number[] = [];
  private starved = 0;
  private maxAllowance: number;
  readonly startAllowance: number;
  windowWaitMs = 0;

  private constructor(
    private readonly outgoing: { window: number },
    roundTripMs: number | undefined,
    private readonly mode: number | 'adaptive' | undefined,
  ) {
    this.real = outgoing.window;
    const rtt = roundTripMs ?? 0;
    this.longLinkShare = rtt >= longLinkMs ? Math.round(rtt * inFlightPerMs) : 0;
    this.floor = typeof mode === 'number' ? mode : Math.min(maxInFlight, Math.max(minInFlight, this.longLinkShare));
    this.allowance = this.floor;
    this.startAllowance = this.floor;
    this.maxAllowance = this.floor;
    Object.defineProperty(outgoing, 'window', {
      configurable: true,
      enumerable: true,
      get: () => this.read(),
      set: (value: number) => this.written(value),
    });
  }

  /** Take over the channel's window (undefined when this ssh2 keeps it elsewhere: then sshd's whole window is used). */
  static install(channel: RemoteChannel, roundTripMs: number | undefined, mode?: number | 'adaptive'): InFlightWindow | undefined {
    const outgoing = (channel as unknown as { outgoing?: { window?: number } }).outgoing;
    if (!outgoing || typeof outgoing.window !== 'number') return undefined;
    return new InFlightWindow(outgoing as { window: number }, roundTripMs, mode);
  }

  private read(): number {
    this.lastRead = Math.max(0, Math.min(this.real, this.allowance - this.inFlight));
    return this.lastRead;
  }

  private written(value: number): void {
    const delta = value - this.lastRead;
    this.lastRead = value;
    if (delta < 0) {
      this.real += delta;
      this.inFlight -= delta;
    } else if (delta > 0) {
      this.real += delta;
      this.inFlight = Math.max(0, this.inFlight - delta);
      this.adjusted(delta);
    }
    // ssh2 writes the field back after every send: at zero it holds the rest until the next adjustment.
    if (delta <= 0 && this.read() === 0) this.waitingSince ??= performance.now();
  }

  private adjusted(returned: number): void {
    const waited = this.waitingSince !== undefined;
    if (waited) this.windowWaitMs += performance.now() - this.waitingSince!;
    this.waitingSince = undefined;
    const backlog = Math.max(0, this.inFlight - this.longLinkShare);
    if (this.backlogs.length < 100_000) this.backlogs.push(backlog);
    const starved = waited && backlog < starvedBelow;
    if (starved) this.starved++;
    if (this.mode !== 'adaptive') return;
    if (starved) this.allowance = Math.min(maxInFlight, this.allowance + returned);
    else this.allowance = Math.max(this.floor, this.allowance - Math.max(shrinkStep, Math.round(returned / 4)));
    this.maxAllowance = Math.max(this.maxAllowance, this.allowance);
  }

  stats(): Pick<TransferStats, 'windowWaitMs' | 'adjustments' | 'medianBacklog' | 'starved' | 'allowance'> {
    const sorted = [...this.backlogs].sort((a, b) => a - b);
    return {
      windowWaitMs: this.windowWaitMs + (this.waitingSince !== undefined ? performance.now() - this.waitingSince : 0),
      adjustments: this.backlogs.length,
      medianBacklog: sorted[Math.floor(sorted.length / 2)] ?? 0,
      starved: this.starved,
      allowance: { start: this.startAllowance, max: this.maxAllowance, end: this.allowance },
    };
  }

  /** Give the channel back its plain window (what sshd allows), for whatever follows on it. */
  uninstall(): void {
    delete (this.outgoing as { window?: number }).window;
    this.outgoing.window = this.real;
  }
}

/** What HostServe.add sends: bytes (headers and NAR, narBytes of them NAR), or a path a local nix-store --serve dumps. */
type Piece = { readonly data: Buffer; readonly narBytes: number } | { readonly dump: NarInfo };

/** A file of a path changed or vanished while its NAR was serialised here. */
class ReadFailure extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super((cause as Error).message);
  }
}

/** Up to this size, a path's header and first piece are copied into one buffer; a bigger first piece follows its header as it is. */
const smallPiece = 64 * 1024;

/**
 * Every path's cmdAddToStoreNar header and NAR, in order. A path's header goes out with the
 * first piece of its NAR when that is small (one SSH packet, not two); a path whose tree does
 * not add up to the store's narSize here (or every path, with narSource 'nix-store') is left
 * to a local dump.
 * With `shared`, a path's pieces are read once for all hosts of the deploy (SharedNars).
 * Pieces read for this copy alone are parts of narBuffers, given back once sent.
 */
async function* narPieces(paths: readonly NarInfo[], serialiseHere: boolean, shared?: SharedNars): AsyncGenerator<Piece> {
  for (const info of paths) {
    let nar: AsyncIterable<Buffer> | Iterable<Buffer> | undefined;
    try {
      nar = serialiseHere ? await narSourceOf(info, shared) : undefined;
    } catch (error) {
      throw new ReadFailure(info.path, error);
    }
    if (!nar) {
      yield { dump: info };
      continue;
    }
    let header: Buffer | undefined = addToStoreNarHeader(info);
    try {
      for await (const chunk of nar) {
        if (header && header.length + chunk.length <= smallPiece) yield { data: withHeader(header, chunk), narBytes: chunk.length };
        else {
          // A bigger piece goes as it is after its header (one small packet more), not copied
          // behind it: the same piece goes to every host of the deploy.
          if (header) yield { data: header, narBytes: 0 };
          yield { data: chunk, narBytes: chunk.length };
        }
        header = undefined;
      }
    } catch (error) {
      throw new ReadFailure(info.path, error);
    }
  }
}

/** A small first piece and its path's header in one buffer of their size (one SSH packet; a kept piece goes to other hosts too, without this host's header). */
function withHeader(header: Buffer, chunk: Buffer): Buffer {
  const both = Buffer.concat([header, chunk], header.length + chunk.length);
  narBuffers.give(chunk);
  return both;
}

/** A path's NAR pieces: kept for the deploy's other hosts (SharedNars), or read from its files; undefined when they do not add up to its narSize here. */
async function narSourceOf(info: NarInfo, shared: SharedNars | undefined): Promise<AsyncIterable<Buffer> | Iterable<Buffer> | undefined> {
  const kept = shared?.pieces(info.path, info.narSize);
  if (kept) return kept;
  const tree = await narTreeOfSize(info.path, info.narSize);
  return tree && narChunks(tree, narBuffers);
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
