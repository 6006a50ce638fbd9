import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * known_hosts as OpenSSH writes it: plain host patterns ("name,10.0.0.1", "[name]:2222",
 * wildcards, "!negations") and hashed ones ("|1|salt|hmac-sha1"), @revoked markers.
 * Certificate authorities are not supported and are skipped.
 */
export interface KnownHostEntry {
  readonly file: string;
  readonly line: number;
  readonly marker?: 'revoked' | 'cert-authority';
  readonly patterns: string;
  readonly keyType: string;
  /** The key blob (base64, as in the file). */
  readonly key: string;
}

/** What known_hosts says about a key a host presented. */
export type HostKeyVerdict =
  | { readonly kind: 'known'; readonly file: string }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'changed'; readonly file: string; readonly line: number; readonly knownFingerprint: string }
  | { readonly kind: 'revoked'; readonly file: string; readonly line: number };

/** SHA256 fingerprint of a key blob, as `ssh-keygen -l` prints it ("SHA256:..."). */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type inside an SSH wire-format public key blob (e.g. "ssh-ed25519"). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return '';
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/** Parse known_hosts text; bad lines are skipped. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (parts[0]?.startsWith('@')) {
      const m = parts.shift()!.slice(1);
      if (m !== 'revoked' && m !== 'cert-authority') return;
      marker = m;
    }
    const [patterns, keyType, key] = parts;
    if (!patterns || !keyType || !key) return;
    entries.push({ file, line: index + 1, ...(marker ? { marker } : {}), patterns, keyType, key });
  });
  return entries;
}

/** The name a host is looked up under: "name" for port 22, "[name]:port" otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** Does a known_hosts pattern list (or hashed entry) match this host name? */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), name)) return false;
    } else if (wildcardMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/**
 * Judge a presented key against every entry for any of `names` (the alias, the HostName,
 * the HostKeyAlias): a match is known; a revoked key is refused; an entry of the same key
 * type with a different key means the key CHANGED; otherwise it is unknown.
 */
export function verifyHostKey(entries: readonly KnownHostEntry[], names: readonly string[], keyBlob: Buffer): HostKeyVerdict {
  const type = keyTypeOf(keyBlob);
  const b64 = keyBlob.toString('base64');
  const relevant = entries.filter((e) => e.marker !== 'cert-authority' && names.some((n) => patternsMatch(e.patterns, n)));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key === b64);
  if (revoked) return { kind: 'revoked', file: revoked.file, line: revoked.line };
  const same = relevant.find((e) => !e.marker && e.key === b64);
  if (same) return { kind: 'known', file: same.file };
  const changed = relevant.find((e) => !e.marker && e.keyType === type);
  if (changed) {
    return { kind: 'changed', file: changed.file, line: changed.line, knownFingerprint: fingerprintSha256(Buffer.from(changed.key, 'base64')) };
  }
  return { kind: 'unknown' };
}

/** Read and parse several known_hosts files; missing files are simply empty. */
export function readKnownHosts(files: readonly string[]): KnownHostEntry[] {
  return files.flatMap((file) => {
    try {
      return parseKnownHosts(fs.readFileSync(file, 'utf8'), file);
    } catch {
      return [];
    }
  });
}

/** Key types the files know for these names, so the client asks the host for one of them first. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], names: readonly string[]): string[] {
  const types = entries.filter((e) => !e.marker && names.some((n) => patternsMatch(e.patterns, n))).map((e) => e.keyType);
  return [...new Set(types)];
}

/** Remember an accepted key in the app's own known_hosts file (durably). */
export function appendKnownHost(file: string, names: readonly string[], keyBlob: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const line = `${names.join(',')} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`;
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    fs.writeSync(fd, line);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
