import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../contract';
import { gitTopOf } from '../checkout/find-up';

/** A source position, already mapped from the store copy back to the checkout when possible. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

/** One frame of an evaluation trace ("while evaluating the attribute 'x'"). */
export interface TraceFrame {
  readonly message: string;
  readonly location?: SourceLocation;
}

/** A nix error taken apart: the message, where, and the trace that led there. */
export interface NixError {
  readonly message: string;
  readonly location?: SourceLocation;
  /** Innermost frame first. */
  readonly trace: readonly TraceFrame[];
}

// eslint-disable-next-line no-control-regex
const ansiPattern = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;

/**
 * Whether a store's error output says its disk is full: the kernel's ENOSPC ("No space left on
 * device") or, when the store database's write hit the full disk first, SQLite's "database or
 * disk is full". Either way only freeing space helps.
 */
export function saysDiskFull(text: string): boolean {
  return /No space left on device|database or disk is full/i.test(text);
}

/** Remove terminal colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ansiPattern, '');
}

const storeSource = /^\/nix\/store\/[0-9a-z]{32}-[^/]*source(\/.*)?$/;
const lazyTree = /^«(?:git\+file|path|file):\/\/([^»?]*)[^»]*»(\/.*)?$/;

/**
 * Map a file nix reports (the flake's copy in /nix/store, or a lazy-tree «git+file://...»
 * name) back to the file in the user's checkout. The store copy of a git flake is the
 * whole repository, so the repository's top folder is tried first, then the flake's own.
 */
export function checkoutPath(file: string, root: string | undefined): string {
  const lazy = lazyTree.exec(file);
  if (lazy) return path.join(decodeURIComponent(lazy[1]!), lazy[2] ?? '');
  const match = storeSource.exec(file);
  if (!match || !root) return file;
  const rest = match[1] ?? '';
  const bases = [gitTopOf(root), root].filter((b): b is string => b !== undefined);
  for (const base of bases) {
    const candidate = path.join(base, rest);
    if (fs.existsSync(candidate)) return candidate;
  }
  return file;
}


function mapLocation(file: string | null | undefined, line: unknown, column: unknown, root: string | undefined): SourceLocation | undefined {
  if (!file || typeof line !== 'number' || line <= 0) return undefined;
  return { file: checkoutPath(file, root), line, ...(typeof column === 'number' && column > 0 ? { column } : {}) };
}

/** The structured error nix prints in `--log-format internal-json` (an "msg" at level 0). */
export interface InternalJsonError {
  readonly msg: string;
  readonly raw_msg?: string;
  readonly file?: string | null;
  readonly line?: number | null;
  readonly column?: number | null;
  readonly trace?: readonly { readonly raw_msg?: string; readonly file?: string | null; readonly line?: number | null; readonly column?: number | null }[];
}

/** Take apart a structured internal-json error. */
export function nixErrorFromJson(error: InternalJsonError, root: string | undefined): NixError {
  const message = stripAnsi(error.raw_msg ?? error.msg).replace(/^error:\s*/, '').trim();
  const location = mapLocation(error.file, error.line, error.column, root);
  const trace = (error.trace ?? []).map((frame) => {
    const where = mapLocation(frame.file, frame.line, frame.column, root);
    return { message: stripAnsi(frame.raw_msg ?? '').trim(), ...(where ? { location: where } : {}) };
  });
  // Structured errors from older nix may carry the position only in the rendered text.
  if (!location && trace.length === 0) return parseNixErrorText(error.msg, root);
  return { message, ...(location ? { location } : {}), trace };
}

const atLine = /^\s*at (.+?):(\d+):(\d+):?\s*$/;
const traceLine = /^\s*(?:…|\.\.\.) (.*)$/;

/**
 * Take apart nix's human error text: "error: <message>", source snippets, "at <file>:l:c:"
 * lines and "… while evaluating" frames. Nix 2.8 prints the message first and the frames
 * after it; newer nix prints the frames first and the message last. Either way the frames
 * are returned innermost first.
 */
export function parseNixErrorText(text: string, root: string | undefined): NixError {
  const lines = stripAnsi(text).split('\n');
  // The message is the last "error:" line with text (newer nix repeats "error:" before its trace).
  let messageAt = -1;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*error:\s*(.*)$/.exec(lines[i]!);
    if (m && m[1]!.trim()) messageAt = i;
  }
  if (messageAt < 0) {
    const meaningful = lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('warning:'));
    return { message: meaningful.join(' ').slice(0, 500) || 'nix failed', trace: [] };
  }
  const messageLines = [/^\s*error:\s*(.*)$/.exec(lines[messageAt]!)![1]!.trim()];
  for (let i = messageAt + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.trim() || atLine.test(l) || traceLine.test(l) || /^\s*\d*\s*\|/.test(l) || /^\(use '--show-trace'/.test(l.trim())) break;
    messageLines.push(l.trim());
  }
  const message = messageLines.join(' ');

  // Walk the text collecting frames: a "…" line followed by its "at" line.
  const frames: { message: string; location?: SourceLocation; index: number }[] = [];
  let ownLocation: SourceLocation | undefined;
  let pendingFrame: { message: string; index: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const t = traceLine.exec(l);
    if (t) {
      if (pendingFrame) frames.push(pendingFrame);
      pendingFrame = { message: t[1]!.trim(), index: i };
      continue;
    }
    const a = atLine.exec(l);
    if (!a) continue;
    const loc = mapLocation(a[1], Number(a[2]), Number(a[3]), root);
    if (pendingFrame) {
      frames.push({ ...pendingFrame, ...(loc ? { location: loc } : {}) });
      pendingFrame = undefined;
    } else if (i > messageAt && !ownLocation) {
      ownLocation = loc;
    }
  }
  if (pendingFrame) frames.push(pendingFrame);
  // Frames printed before the message (newer nix) are outermost first: reverse them.
  const before = frames.filter((f) => f.index < messageAt).reverse();
  const after = frames.filter((f) => f.index > messageAt);
  const trace = [...after, ...before].map(({ message: m, location }) => ({ message: m, ...(location ? { location } : {}) }));
  return { message, ...(ownLocation ? { location: ownLocation } : {}), trace };
}

/**
 * Where to send the person: the error's own position, else the innermost trace frame in
 * their checkout (a `throw` has no position of its own), else the innermost frame at all.
 */
export function bestLocation(error: NixError, root: string | undefined): SourceLocation | undefined {
  if (error.location) return error.location;
  const named = locationNamedInMessage(error.message, root);
  if (named) return named;
  const inCheckout = root ? error.trace.find((f) => f.location && !f.location.file.startsWith('/nix/store/')) : undefined;
  return inCheckout?.location ?? error.trace.find((f) => f.location)?.location;
}

const storeFileInText = /\/nix\/store\/[0-9a-z]{32}-[^/\s'`"]*source\/[^\s'`"]+/g;

/**
 * Errors like NixOS's "The option `a.b' does not exist. Definition values: - In `<file>'"
 * name the file but no line: open that file, at the line that sets the option when it
 * can be found.
 */
export function locationNamedInMessage(message: string, root: string | undefined): SourceLocation | undefined {
  for (const match of message.match(storeFileInText) ?? []) {
    const file = checkoutPath(match, root);
    if (file === match || !fs.existsSync(file)) continue;
    const option = /option `([^']+)'/.exec(message)?.[1];
    return { file, line: option ? lineMentioning(file, option) : 1 };
  }
  return undefined;
}

function lineMentioning(file: string, option: string): number {
  let lines: string[];
  try {
    lines = fs.readFileSync(file, 'utf8').split('\n');
  } catch {
    return 1;
  }
  const parts = option.split('.');
  // Try the longest tail of the option path first: "openssh.nonsense", then "nonsense".
  for (let take = parts.length; take >= 1; take--) {
    const needle = parts.slice(-take).join('.');
    const index = lines.findIndex((l) => l.includes(needle));
    if (index >= 0) return index + 1;
  }
  return 1;
}

/** Replace store copies of checkout files in a message by their paths relative to the checkout. */
export function mapMessagePaths(message: string, root: string | undefined): string {
  if (!root) return message;
  return message.replace(storeFileInText, (match) => {
    const file = checkoutPath(match, root);
    return file === match ? match : path.relative(root, file) || file;
  });
}

/** The trace, collapsed to one readable line for a hint. */
export function collapsedTrace(error: NixError, root: string | undefined): string | undefined {
  if (error.trace.length === 0) return undefined;
  const first = error.trace[0]!;
  const where = first.location ? ` (${displayPath(first.location, root)})` : '';
  const more = error.trace.length > 1 ? `; ${error.trace.length - 1} more frame${error.trace.length > 2 ? 's' : ''} in the job log` : '';
  return `${first.message}${where}${more}`;
}

/** file:line[:column], relative to the checkout when inside it. */
export function displayPath(location: SourceLocation, root: string | undefined): string {
  const rel = root && location.file.startsWith(path.resolve(root) + path.sep) ? path.relative(root, location.file) : location.file;
  return `${rel}:${location.line}${location.column ? `:${location.column}` : ''}`;
}

/** Turn a NixError into the FleetError the UI shows ("open in editor" via `location`). */
export function toFleetError(error: NixError, root: string | undefined, code = 'nix-error', prefix = ''): FleetError {
  const location = bestLocation(error, root);
  const where = location ? ` (${displayPath(location, root)})` : '';
  const hint = collapsedTrace(error, root);
  return new FleetError(code, `${prefix}${mapMessagePaths(error.message, root)}${where}`, {
    ...(location ? { location } : {}),
    ...(hint ? { hint: `Trace: ${hint}` } : {}),
  });
}

/** A FleetError from the stderr of a failed nix command (text format). */
export function nixErrorFromStderr(stderr: string, options: { root?: string; fallback: string }): FleetError {
  const parsed = parseNixErrorText(stderr, options.root);
  if (parsed.message === 'nix failed') return new FleetError('nix-error', options.fallback);
  return toFleetError(parsed, options.root);
}

/**
 * Add what to do to errors whose cause nix does not say: a file that exists in the
 * checkout but not in nix's copy of it is a file git does not track.
 */
export function explainNixError(message: string, root: string): string {
  const missing = /getting status of '([^']+)': No such file or directory/.exec(message);
  const rel = missing?.[1];
  if (rel && !rel.startsWith('/') && fs.existsSync(path.join(root, rel))) {
    return `${message} (${rel} exists but git does not track it, and nix only sees tracked files: run \`git add ${rel}\`)`;
  }
  return message;
}

/**
 * A failed nix call's stderr as the inventory shows it: the message with checkout paths
 * relative and what to do added, and the place in the checkout it points at (none when it
 * points outside the checkout, e.g. into an input).
 */
export function checkoutErrorOf(stderr: string, root: string): { message: string; location?: SourceLocation } {
  const parsed = parseNixErrorText(stderr, root);
  const location = bestLocation(parsed, root);
  const inCheckout = location && location.file.startsWith(path.resolve(root) + path.sep) && fs.existsSync(location.file) ? location : undefined;
  return { message: explainNixError(mapMessagePaths(parsed.message, root), root), ...(inCheckout ? { location: inCheckout } : {}) };
}
