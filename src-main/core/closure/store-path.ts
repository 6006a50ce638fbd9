/**
 * Store path names as nvd reads them: "/nix/store/<hash>-<pname>-<version>[-<output>]".
 * The version starts at the first "-" followed by a digit ("openssh-9.6p1",
 * "python3.11-requests-2.31.0"); names without one ("etc", "system-path") have none.
 */

/** A store path split into the parts a closure diff compares. */
export interface StorePathName {
  readonly path: string;
  readonly hash: string;
  /** Everything after the hash, e.g. "openssl-3.0.13-bin". */
  readonly name: string;
  /** Package name, e.g. "openssl". */
  readonly pname: string;
  /** "" when the name has no version. */
  readonly version: string;
  /** Output other than out ("bin", "lib", "man"...), "" for out. */
  readonly output: string;
}

// Outputs nixpkgs uses; a trailing "-<one of these>" is an output, not part of the version.
const outputNames = new Set(['bin', 'dev', 'out', 'lib', 'man', 'doc', 'info', 'debug', 'static', 'devdoc', 'terminfo', 'modules', 'py', 'sbin', 'first', 'tools', 'devman', 'hashed-mirrors']);

/** Split a store path (or a bare "<hash>-<name>") into hash, pname, version and output. */
export function parseStorePath(storePath: string): StorePathName {
  const base = storePath.slice(storePath.lastIndexOf('/') + 1);
  const dash = base.indexOf('-');
  const hash = dash === 32 ? base.slice(0, 32) : '';
  let name = hash ? base.slice(33) : base;
  if (name.endsWith('.drv')) name = name.slice(0, -4);
  let pname = name;
  let version = '';
  for (let i = 0; i < name.length - 1; i++) {
    const next = name.charCodeAt(i + 1);
    if (name[i] === '-' && next >= 48 && next <= 57) {
      pname = name.slice(0, i);
      version = name.slice(i + 1);
      break;
    }
  }
  let output = '';
  const lastDash = version.lastIndexOf('-');
  if (lastDash > 0 && outputNames.has(version.slice(lastDash + 1))) {
    output = version.slice(lastDash + 1);
    version = version.slice(0, lastDash);
  } else if (version === '') {
    const tail = pname.lastIndexOf('-');
    if (tail > 0 && outputNames.has(pname.slice(tail + 1))) {
      output = pname.slice(tail + 1);
      pname = pname.slice(0, tail);
    }
  }
  return { path: storePath, hash, name, pname, version, output };
}

function nextComponent(s: string, start: number): [string, number] {
  let i = start;
  while (i < s.length && (s[i] === '.' || s[i] === '-')) i++;
  const begin = i;
  const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  if (digit(s[i])) while (digit(s[i])) i++;
  else while (i < s.length && s[i] !== '.' && s[i] !== '-' && !digit(s[i])) i++;
  return [s.slice(begin, i), i];
}

function componentLess(a: string, b: string): boolean {
  const na = /^\d+$/.test(a) ? Number(a) : undefined;
  const nb = /^\d+$/.test(b) ? Number(b) : undefined;
  if (na !== undefined && nb !== undefined) return na < nb;
  if (a === '' && nb !== undefined) return true;
  if (a === 'pre' && b !== 'pre') return true;
  if (b === 'pre') return false;
  if (nb !== undefined) return true; // "2.3a" < "2.3.1"
  if (na !== undefined) return false;
  return a < b;
}

/** Nix's version order (builtins.compareVersions): negative when a is older than b. */
export function compareVersions(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const [ca, ni] = nextComponent(a, i);
    const [cb, nj] = nextComponent(b, j);
    if (componentLess(ca, cb)) return -1;
    if (componentLess(cb, ca)) return 1;
    if (ni === i && nj === j) break;
    i = ni;
    j = nj;
  }
  return 0;
}
