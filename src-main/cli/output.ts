import { FleetError } from '../core/contract';

/** Print a value as JSON on stdout (the --json contract: one object, nothing else on stdout). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Print an error the way a person can act on it, on stderr. */
export function printError(error: unknown): void {
  if (error instanceof FleetError) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.location) {
      const col = error.location.column !== undefined ? `:${error.location.column}` : '';
      process.stderr.write(`  at ${error.location.file}:${error.location.line}${col}\n`);
    }
    for (const issue of error.issues ?? []) process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return;
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
}

/** Whether to draw live progress (a terminal) or plain lines (pipes, CI). */
export function isInteractive(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb' && !process.env.CI;
}
