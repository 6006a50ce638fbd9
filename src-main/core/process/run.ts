import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { FleetError } from '../contract';

/** What a finished child process left behind. */
export interface ProcessResult {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** The tail of stderr (at most `maxStderr` characters). */
  readonly stderr: string;
}

export interface ProcessOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Aborting kills the whole process tree (SIGTERM, then SIGKILL) and rejects with FleetError('cancelled'). */
  readonly signal?: AbortSignal;
  /** Called for every complete stdout line; stdout is then not collected (unless collectStdout). */
  readonly onStdoutLine?: (line: string) => void;
  /** Called for every complete stderr line, as it arrives. */
  readonly onStderrLine?: (line: string) => void;
  /** Keep stdout even when onStdoutLine is given. */
  readonly collectStdout?: boolean;
  /** Written to the child's stdin, which is then closed. */
  readonly stdin?: string;
  /** How much of stderr to keep (its tail), default 1 MiB. */
  readonly maxStderr?: number;
  /** How long to wait after SIGTERM before SIGKILL, default 3000 ms. */
  readonly killGraceMs?: number;
  /** End the whole tree after this long and reject with FleetError('timeout'). */
  readonly timeoutMs?: number;
}

/**
 * Run a program with an argument array (never a shell) in its own process group, stream
 * its output line by line and resolve when it exits. Cancelling through `signal` ends the
 * whole tree: nix's builders live in their own sessions, so the descendants are found in
 * /proc before the group is signalled and are killed too if they outlive the grace time.
 */
export function runProcess(command: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return launch(command, args, options, false).done;
}

/** A program started by spawnProcess: its stdout as bytes, and its end. */
export interface SpawnedProcess {
  /** The program's stdout, bytes as they come (with backpressure: a slow reader slows the program). */
  readonly stdout: Readable;
  /** The program's stdin, with `openStdin` (a conversation such as `nix-store --serve`); end it when done. */
  readonly stdin?: Writable;
  /** Resolves when it exits (stdout is then '' in the result); rejects as runProcess does. */
  readonly done: Promise<ProcessResult>;
}

/**
 * runProcess for programs whose output is a byte stream to pass on (an archive, a
 * `nix-store --export`): the same argument array, process group and cancel, stdout handed
 * over as a stream instead of collected.
 */
export function spawnProcess(
  command: string,
  args: readonly string[],
  options: Omit<ProcessOptions, 'onStdoutLine' | 'collectStdout'> & { readonly openStdin?: boolean } = {},
): SpawnedProcess {
  const started = launch(command, args, options, true, options.openStdin === true && options.stdin === undefined);
  return { stdout: started.stdout, ...(started.stdin ? { stdin: started.stdin } : {}), done: started.done };
}

function launch(
  command: string,
  args: readonly string[],
  options: ProcessOptions,
  streamStdout: boolean,
  openStdin = false,
): { stdout: Readable; stdin?: Writable; done: Promise<ProcessResult> } {
  // Take the output at once: Node drops the unread stdio of a child that exits, so a small
  // output would be lost if the program finished before the reader started.
  const out = new PassThrough();
  // stdin as the caller sees it: writes wait here until the child exists, errors never throw.
  const input = openStdin ? new PassThrough() : undefined;
  const done = new Promise<ProcessResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      out.end();
      reject(new FleetError('cancelled', 'Cancelled.'));
      return;
    }
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: [options.stdin === undefined && !input ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input && child.stdin) {
      child.stdin.on('error', () => undefined);
      input.pipe(child.stdin);
    }
    const maxStderr = options.maxStderr ?? 1024 * 1024;
    const collectStdout = !streamStdout && (options.collectStdout ?? !options.onStdoutLine);
    let stdout = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    let cancelled = false;
    let timedOut = false;
    let tree: number[] = [];

    const stdoutLines = lineSplitter((line) => options.onStdoutLine?.(line));
    const stderrLines = lineSplitter((line) => options.onStderrLine?.(line));
    if (streamStdout) {
      child.stdout!.on('error', (error) => out.destroy(error));
      child.stdout!.pipe(out);
    } else {
      out.end();
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        if (collectStdout) stdout += chunk;
        if (options.onStdoutLine) stdoutLines.push(chunk);
      });
    }
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > maxStderr * 2) stderr = stderr.slice(-maxStderr);
      if (options.onStderrLine) stderrLines.push(chunk);
    });
    if (options.stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
    }

    const onAbort = () => {
      if (cancelled || child.pid === undefined) return;
      cancelled = true;
      tree = [child.pid, ...descendants(child.pid)];
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        signalGroup(child.pid!, 'SIGKILL');
        for (const pid of tree) signalPid(pid, 'SIGKILL');
      }, options.killGraceMs ?? 3000);
      killTimer.unref();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const deadline =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            onAbort();
          }, options.timeoutMs)
        : undefined;

    child.on('error', (error: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort);
      clearTimeout(deadline);
      out.end();
      if (error.code === 'ENOENT') {
        reject(new FleetError('not-found', `${command} was not found.`, { hint: `Install ${command} or put it on PATH.` }));
      } else {
        reject(new FleetError('failed', `Could not start ${command}: ${error.message}`));
      }
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      clearTimeout(deadline);
      stdoutLines.end();
      stderrLines.end();
      if (cancelled) {
        // The builders nix started may still be winding down; make sure none outlive us.
        if (killTimer) clearTimeout(killTimer);
        const why = timedOut
          ? new FleetError('timeout', `${path.basename(command)} did not finish within ${Math.round(options.timeoutMs! / 100) / 10} s and was stopped.`)
          : new FleetError('cancelled', 'Cancelled.');
        void reapStragglers(child.pid!, tree).then(() => reject(why));
        return;
      }
      resolve({ code, signal, stdout, stderr: stderr.length > maxStderr ? stderr.slice(-maxStderr) : stderr });
    });
  });
  return { stdout: out, ...(input ? { stdin: input } : {}), done };
}

/**
 * The last `lines` lines of what a program printed (its stderr, here or over ssh), as one line
 * for an error message: carriage returns dropped (OpenSSH ends its lines with \r\n when it
 * has a terminal on either end), empty lines skipped.
 */
export function outputTail(text: string, lines: number): string {
  return text.replace(/\r/g, '').trim().split('\n').filter(Boolean).slice(-lines).join(' ');
}

/** Split a stream of chunks into lines; the last partial line is delivered by end(). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk;
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        onLine(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
    },
    end() {
      if (rest.length > 0) onLine(rest);
      rest = '';
    },
  };
}

/** Every live descendant of `pid` (Linux /proc); empty elsewhere. */
export function descendants(pid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const child of children.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * After the leader exits: whatever is left of its group, and of the tree seen when the
 * cancel came (builders run in their own sessions), gets SIGKILL.
 */
async function reapStragglers(pid: number, tree: readonly number[]): Promise<void> {
  signalGroup(pid, 'SIGKILL');
  for (const p of tree) {
    if (p === pid) continue;
    for (const d of descendants(p)) signalPid(d, 'SIGKILL');
    signalPid(p, 'SIGKILL');
  }
  await new Promise((r) => setTimeout(r, 20));
}
