/**
 * Remote commands travel to sshd as ONE string that the login shell on the host parses.
 * Every word therefore goes through here: a word made only of characters no POSIX shell
 * treats specially stays as it is; anything else is wrapped in single quotes, with each
 * embedded single quote written as '\''.
 */
const plainWord = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one argument for a POSIX shell on the remote host. */
export function quoteRemoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('A remote argument cannot contain a NUL byte.');
  if (arg.length > 0 && plainWord.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Build the command line for an argument vector, every argument quoted. */
export function quoteRemoteArgs(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('A remote command needs at least a program name.');
  return argv.map(quoteRemoteArg).join(' ');
}
