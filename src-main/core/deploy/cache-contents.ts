import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CacheLocation } from '../nix/cache';
import { HostSession } from './host-session';
import { HostServe } from './serve-copy';
import type { DeployService } from './service';

/** What the cache holds of some paths: those it has, or 'unknown' when it cannot be asked from here (s3). */
export type CacheHolds = ReadonlySet<string> | 'unknown';

/** The hash part of a store path: what a binary cache names its .narinfo after. */
function hashPart(storePath: string): string {
  return path.basename(storePath).slice(0, 32);
}

/**
 * The binary cache as one deploy (or one preview) asks it which paths it has: an ssh://
 * cache over the core's one SSH layer (the serve protocol's valid-paths query, one session
 * for every host of the deploy), a file:// cache by its .narinfo files. Answers are kept, so
 * hosts sharing a closure ask once.
 */
export class CacheContents {
  private session?: Promise<HostSession>;
  private readonly known = new Map<string, boolean>();

  constructor(
    readonly location: CacheLocation,
    private readonly service: DeployService,
    private readonly options: { readonly jobId?: string; readonly signal?: AbortSignal } = {},
  ) {}

  /** Which of `paths` the cache has. */
  async holds(paths: readonly string[]): Promise<CacheHolds> {
    const ask = [...new Set(paths.filter((p) => !this.known.has(p)))];
    if (ask.length > 0) {
      switch (this.location.kind) {
        case 's3':
          // Asking a bucket needs its credentials and the network: the host's nix finds out.
          return 'unknown';
        case 'file': {
          const dir = this.location.dir;
          for (const p of ask) this.known.set(p, fs.existsSync(path.join(dir, `${hashPart(p)}.narinfo`)));
          break;
        }
        case 'ssh': {
          const serve = await HostServe.open(await this.open(), this.options.signal ? { signal: this.options.signal } : {});
          try {
            const missing = new Set(await serve.missing(ask));
            for (const p of ask) this.known.set(p, !missing.has(p));
          } finally {
            serve.close();
          }
          break;
        }
      }
    }
    return new Set(paths.filter((p) => this.known.get(p) === true));
  }

  private open(): Promise<HostSession> {
    if (this.location.kind !== 'ssh') throw new Error('only an ssh:// cache has a session');
    const { host, user } = this.location;
    this.session ??= this.service
      .connect({
        host,
        ...(user ? { user } : {}),
        ...(this.options.jobId ? { jobId: this.options.jobId } : {}),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
        connectTimeoutMs: 8000,
        acceptUnknownKeys: false,
      })
      .then((connection) => new HostSession(connection, { kind: 'root' }));
    // A failed connection is asked again by the next question, not remembered.
    this.session.catch(() => (this.session = undefined));
    return this.session;
  }

  /** Close the cache's session, if one was opened. */
  close(): void {
    void this.session?.then((s) => s.close(), () => undefined);
    this.session = undefined;
  }
}
