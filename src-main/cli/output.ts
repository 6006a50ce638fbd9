import { FleetError } from '../core/contract';

/** Print a value as JSON on stdout (the --json contract: one object, nothing else on stdout). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

// C0 controls, DEL, C1 controls, and the bidirectional overrides of "Trojan Source": matching them is the point.
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const controlCharactersButLineBreaks = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A name or one-line message as the terminal may show it: every control character
 * (ESC, line breaks, bidi overrides) written as a visible escape, so a folder named
 * with ANSI sequences or newlines cannot recolour, move the cursor or forge lines.
 */
export function terminalText(text: string): string {
  return text.replace(controlCharacters, escapeControl);
}

/** Several lines for the terminal: line breaks and tabs kept, every other control character escaped. */
export function terminalBlock(text: string): string {
  return text.replace(controlCharactersButLineBreaks, escapeControl);
}

/** Print an error the way a person can act on it, on stderr. */
export function printError(error: unknown): void {
  if (error instanceof FleetError) {
    process.stderr.write(`error: ${terminalBlock(error.message)}\n`);
    if (error.location) {
      const col = error.location.column !== undefined ? `:${error.location.column}` : '';
      process.stderr.write(`  at ${terminalText(error.location.file)}:${error.location.line}${col}\n`);
    }
    for (const issue of error.issues ?? []) process.stderr.write(`  ${terminalText(issue.path)}: ${terminalText(issue.message)}\n`);
    if (error.hint) process.stderr.write(`hint: ${terminalBlock(error.hint)}\n`);
    return;
  }
  process.stderr.write(`error: ${terminalBlock(error instanceof Error ? error.message : String(error))}\n`);
}

/** Whether to draw live progress (a terminal) or plain lines (pipes, CI). */
export function isInteractive(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb' && !process.env.CI;
}
