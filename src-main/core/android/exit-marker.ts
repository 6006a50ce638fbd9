import { randomBytes } from 'node:crypto';

/**
 * adb's shell: service gives no exit code (shell protocol v2 is not in adbkit), so each
 * command is followed by `echo MARKER$?` and the output is split at the marker. The marker
 * carries a random token so a command's own output can never fake it.
 */
export interface MarkedCommand {
  readonly command: string;
  readonly token: string;
}

/** Append an exit marker to a shell command line. */
export function withExitMarker(command: string, token = randomBytes(6).toString('hex')): MarkedCommand {
  // A newline first, so the marker starts its own line even after output without one.
  return { command: `${command}; printf '\\n__FLEET_EXIT_${token}_%s\\n' "$?"`, token };
}

export interface MarkedOutput {
  readonly output: string;
  /** null: the stream ended before the marker (the command was cut off, e.g. the phone went away). */
  readonly code: number | null;
}

/** Split a marked command's output into what the command printed and its exit code. */
export function parseExitMarker(raw: string, token: string): MarkedOutput {
  const text = raw.replace(/\r\n/g, '\n');
  const marker = `\n__FLEET_EXIT_${token}_`;
  const at = text.lastIndexOf(marker);
  if (at < 0) return { output: text, code: null };
  const match = /^(\d+)/.exec(text.slice(at + marker.length));
  if (!match) return { output: text, code: null };
  return { output: text.slice(0, at), code: Number(match[1]) };
}
