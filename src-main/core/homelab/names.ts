/**
 * Which names are safe to hand to ssh and nix as they are. A name outside these sets is
 * still shown (the scan never hides what is on disk) but refused as a deploy target.
 */
const safeName = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const safeHost = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_][A-Za-z0-9._:-]*)$/;
const safeUser = /^[A-Za-z_][A-Za-z0-9._-]*\$?$/;

/** Why `name` cannot be used as a configuration name in a nix attribute path or an ssh command, or undefined when it can. */
export function unsafeNameReason(name: string): string | undefined {
  if (safeName.test(name)) return undefined;
  if (/\s/.test(name)) return `the name "${name}" contains whitespace`;
  return `the name "${name}" contains characters other than letters, digits, ".", "_" and "-"`;
}

/** Why `host` is not a plain host name, alias or address, or undefined when it is. */
export function unsafeHostReason(host: string): string | undefined {
  if (host.startsWith('-')) return `the host "${host}" starts with "-" (ssh would read it as an option)`;
  return safeHost.test(host) ? undefined : `the host "${host}" contains characters that are not valid in a host name`;
}

/** Why `user` is not a plain login name, or undefined when it is. */
export function unsafeUserReason(user: string): string | undefined {
  return safeUser.test(user) ? undefined : `the user "${user}" is not a valid login name`;
}

/**
 * Why a build host ("host", or "user@host" as ssh writes it) cannot be used, or undefined
 * when it can. It is handed to ssh on this machine, so it must read as a name, never an option.
 */
export function buildHostReason(text: string): string | undefined {
  const at = text.lastIndexOf('@');
  const user = at > 0 ? text.slice(0, at) : undefined;
  const host = at >= 0 ? text.slice(at + 1) : text;
  if (host.length === 0) return `"${text}" names no host`;
  return unsafeHostReason(host) ?? (user !== undefined ? unsafeUserReason(user) : undefined);
}

/** "user@host" or "host" (an ssh alias, a DNS name or an address) split as ssh reads it. */
export function parseBuildHost(text: string): { readonly host: string; readonly user?: string } {
  const at = text.lastIndexOf('@');
  return at > 0 ? { user: text.slice(0, at), host: text.slice(at + 1) } : { host: at === 0 ? text.slice(1) : text };
}
