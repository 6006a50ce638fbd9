import type { LogLine, LogStream } from '../../../src-main/core/api';

const streamCodes: readonly LogStream[] = ['stdout', 'stderr', 'info', 'error'];

/**
 * A job's log lines in a fixed-capacity ring: the oldest lines drop when it is full, so a
 * runaway build cannot eat the renderer's memory. Lines are kept as plain strings with a
 * byte per line for the stream, not as objects, so 200,000 lines cost a few MB.
 * Mutable on purpose: the store bumps a version number instead of copying it.
 */
export class LogBuffer {
  // Plain arrays that grow by push until full (a jobs list of 200 mostly short logs must
  // not reserve 200 x capacity slots), then are overwritten in place as a ring.
  private readonly texts: string[] = [];
  private readonly targets: (string | undefined)[] = [];
  private readonly streams: number[] = [];
  private start = 0;
  private count = 0;
  /** How many lines were dropped from the front since the job started. */
  dropped = 0;

  constructor(readonly capacity = 250_000) {}

  get length(): number {
    return this.count;
  }

  push(text: string, stream: LogStream = 'stdout', target?: string): void {
    const code = Math.max(0, streamCodes.indexOf(stream));
    if (this.count < this.capacity) {
      this.texts.push(text);
      this.targets.push(target);
      this.streams.push(code);
      this.count++;
      return;
    }
    const slot = this.start;
    this.start = (this.start + 1) % this.capacity;
    this.dropped++;
    this.texts[slot] = text;
    this.targets[slot] = target;
    this.streams[slot] = code;
  }

  pushLines(lines: readonly LogLine[]): void {
    for (const line of lines) this.push(line.text, line.stream, line.target);
  }

  /** The i-th line still held (0 = oldest). */
  text(i: number): string {
    return this.texts[(this.start + i) % this.capacity] ?? '';
  }

  stream(i: number): LogStream {
    return streamCodes[this.streams[(this.start + i) % this.capacity]!] ?? 'stdout';
  }

  target(i: number): string | undefined {
    return this.targets[(this.start + i) % this.capacity];
  }

  /** The line as the log file has it: "[target] text". */
  plain(i: number): string {
    const target = this.target(i);
    return target ? `[${target}] ${this.text(i)}` : this.text(i);
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
    this.dropped = 0;
    this.texts.length = 0;
    this.targets.length = 0;
    this.streams.length = 0;
  }

  /** Indices of lines containing `query` (case-insensitive), oldest first. */
  search(query: string): number[] {
    return this.searchRange(query, 0, this.count);
  }

  /** Like search, over lines [from, end): callers slice a long search across frames. */
  searchRange(query: string, from: number, end: number): number[] {
    const needle = query.toLowerCase();
    const found: number[] = [];
    if (!needle) return found;
    for (let i = from; i < Math.min(end, this.count); i++) {
      // ANSI codes are part of the stored text; a search for visible text should still match.
      const text = this.text(i);
      const haystack = text.includes('\x1b') ? stripAnsi(text) : text;
      if (haystack.toLowerCase().includes(needle) || this.target(i)?.toLowerCase().includes(needle)) found.push(i);
    }
    return found;
  }
}

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/** Remove terminal colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ansi, '');
}

/** Read a line of a log file ("[target] text") back into its parts. */
export function parseLogFileLine(line: string): { target?: string; text: string } {
  const match = /^\[([^\]]{1,200})\] /.exec(line);
  return match ? { target: match[1]!, text: line.slice(match[0].length) } : { text: line };
}
