import { FleetError } from '../contract';
import { nixErrorFromStderr } from './nix-errors';
import { readSigningKey } from './path-signature';
import { runNix, type NixRunOptions } from './runner';

/** A homelab's binary cache as the settings hold it. */
export interface BinaryCache {
  /** A store URL nix understands: file:///path, ssh://[user@]host, s3://bucket[?region=...]. */
  readonly url: string;
  /** The secret signing key (nix-store --generate-binary-cache-key / nix key generate-secret). */
  readonly secretKeyFile: string;
}

/** Where a cache lives, read from its URL. */
export type CacheLocation =
  | { readonly kind: 'file'; readonly url: string; readonly dir: string }
  | { readonly kind: 'ssh'; readonly url: string; readonly host: string; readonly user?: string }
  | { readonly kind: 's3'; readonly url: string; readonly bucket: string };

const hostPart = /^(?:([A-Za-z_][A-Za-z0-9._-]*)@)?([A-Za-z0-9][A-Za-z0-9.-]*)$/;

/** Read a cache URL, or say why nix (or ssh) would misread it. */
export function parseCacheUrl(url: string): CacheLocation {
  const fail = (why: string) => new FleetError('invalid-input', `The binary cache "${url}" ${why}.`, { hint: 'Use file:///path/to/cache, ssh://host (or ssh://user@host) or s3://bucket.' });
  if (/[\s\0]/.test(url)) throw fail('contains whitespace');
  if (url.startsWith('file://')) {
    const dir = url.slice('file://'.length).split('?')[0]!;
    if (!dir.startsWith('/')) throw fail('needs an absolute path after file://');
    return { kind: 'file', url, dir };
  }
  if (url.startsWith('ssh://')) {
    const rest = url.slice('ssh://'.length);
    const match = hostPart.exec(rest);
    if (!match) throw fail('is not ssh://host or ssh://user@host (no port, path or options: name the port in ~/.ssh/config)');
    return { kind: 'ssh', url, host: match[2]!, ...(match[1] ? { user: match[1] } : {}) };
  }
  if (url.startsWith('s3://')) {
    const bucket = url.slice('s3://'.length).split('?')[0]!;
    if (!/^[a-z0-9][a-z0-9.-]{1,62}$/.test(bucket)) throw fail('does not name an S3 bucket');
    return { kind: 's3', url, bucket };
  }
  throw fail('is not a file://, ssh:// or s3:// URL');
}

/** The public key ("name:base64") hosts must trust for paths signed with `secretKeyFile`. */
export function cachePublicKey(secretKeyFile: string): string {
  return readSigningKey(secretKeyFile).publicKey;
}

/** Sign `paths` and everything they reference in the local store with the cache's key. */
export async function signClosure(paths: readonly string[], secretKeyFile: string, options: NixRunOptions = {}): Promise<void> {
  const result = await runNix(['store', 'sign', '--key-file', secretKeyFile, '--recursive', ...paths], options);
  if (result.code !== 0) throw nixErrorFromStderr(result.stderr, { fallback: `signing ${paths.length} paths with ${secretKeyFile} failed` });
}

/** Copy the closure of `paths` into a file:// or s3:// cache with nix's own copy (already signed). */
export async function copyToCacheWithNix(paths: readonly string[], url: string, options: NixRunOptions = {}): Promise<void> {
  const result = await runNix(['copy', '--to', url, ...paths], options);
  if (result.code !== 0) throw nixErrorFromStderr(result.stderr, { fallback: `nix copy --to ${url} failed` });
}
