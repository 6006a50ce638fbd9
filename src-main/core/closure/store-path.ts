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
