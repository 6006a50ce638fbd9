/**
 * POSIX shell quoting for commands that run on the phone (adb's shell: service and ssh both
 * hand one string to /bin/sh). Every argument is quoted; nothing from data is ever spliced raw.
 */

/** Quote one argument for /bin/sh. */
export function shQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument for the phone contains a NUL byte');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quote an argument vector into one command line for /bin/sh. */
export function shCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shQuote).join(' ');
}
