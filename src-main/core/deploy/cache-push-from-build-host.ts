import { FleetError } from '../contract';
import type { CacheLocation } from '../nix/cache';
import type { PathInfo } from '../nix/path-info';
import { narHashForFingerprint, signPath, type SigningKey } from '../nix/path-signature';
import { requireNixStore } from '../nix/runner';
import { outputTail, runProcess, spawnProcess } from '../process/run';
import { formatBytes } from '../../shared/units';
import { HostSession } from './host-session';
import { closureOnBuildHost, fromBuildHostArgv, routeHint } from './push-from-build-host';
import { closurePathsOf, copyClosure } from './copy-closure';
import { HostServe, NarDump } from './serve-copy';
import type { DeployService } from './service';

/** A build host whose store holds the closure to push: its name and open session. */
export interface PushSource {
  readonly name: string;
  readonly session: HostSession;
}

interface PushOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly jobId?: string;
  readonly log?: (line: string) => void;
}

const storePathPattern = /^\/nix\/store\/[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;

/**
 * On the build host: a file:// store in a fresh temporary folder (removed on exit) holding the
 * narinfos read from stdin (one per "StorePath:" line), from which `nix store copy-sigs` adds
 * their signatures to the build host's store. copy-sigs takes a signature only where the
 * narinfo's NAR hash, size and references are those of the path in the store. $@: the roots.
 */
const addSignaturesScript = `
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'StoreDir: /nix/store\\n' > "$dir/nix-cache-info"
awk -v dir="$dir" '/^StorePath: /{ if (f) close(f); f = dir "/" substr($2, 12, 32) ".narinfo" } { print > f }'
exec nix --extra-experimental-features nix-command store copy-sigs --substituter "file://$dir" --recursive "$@"
`;

/** The narinfo that carries `signature` for `info` (what copy-sigs reads; no NAR behind it). */
function narinfoOf(info: PathInfo, signature: string): string {
  const paths = [info.path, ...info.references];
  const bad = paths.find((p) => !storePathPattern.test(p));
  if (bad !== undefined) throw new FleetError('copy-failed', `The build host described a store path nix would not write: ${JSON.stringify(bad)}.`);
  if (!Number.isSafeInteger(info.narSize) || info.narSize! <= 0) throw new FleetError('copy-failed', `The build host gave no NAR size for ${info.path}.`);
  const base = (p: string) => p.slice('/nix/store/'.length);
  return [
    `StorePath: ${info.path}`,
    `URL: nar/${base(info.path).slice(0, 32)}.nar`,
    'Compression: none',
    `NarHash: ${narHashForFingerprint(info.narHash ?? '')}`,
    `NarSize: ${info.narSize}`,
    `References: ${info.references.map(base).join(' ')}`,
    `Sig: ${signature}`,
    '',
  ].join('\n');
}

/**
 * Sign the closure of `roots` in the build host's store with the cache's key, the key never
 * leaving this machine: the build host's path-info (NAR hash, size, references) is read, each
 * path's signature computed here (nix/path-signature.ts), and the signatures handed to the
 * build host's nix (`nix store copy-sigs` from a temporary file:// store of narinfos; Nix 2.8
 * through 2.34 have it). Then every path is checked to carry its signature. Answers the signed
 * closure.
 */
export async function signOnBuildHost(source: PushSource, roots: readonly string[], key: SigningKey, options: PushOptions): Promise<Map<string, PathInfo>> {
  const closure = await closureOnBuildHost(source.session, source.name, roots, options.signal);
  const wanted = new Map([...closure.values()].map((info) => [info.path, signPath(info, key)]));
  const unsigned = [...closure.values()].filter((info) => !info.signatures.includes(wanted.get(info.path)!));
  if (unsigned.length === 0) {
    options.log?.(`${source.name}: all ${closure.size} paths already carry ${key.name}'s signature`);
    return closure;
  }
  options.log?.(`signing ${unsigned.length} of ${closure.size} paths in ${source.name}'s store with ${key.name} (signed here; the key stays on this machine)`);
  const stdin = unsigned.map((info) => narinfoOf(info, wanted.get(info.path)!)).join('');
  const added = await source.session.scriptAsRoot(addSignaturesScript, roots, { stdin, ...(options.signal ? { signal: options.signal } : {}) });
  if (added.code !== 0) {
    throw new FleetError('copy-failed', `${source.name} could not add the signatures: ${outputTail(added.stderr, 2) || `exit code ${added.code}`}`, {
      hint: `Adding signatures needs root on ${source.name} (or sudo without a password), or a login user its nix-daemon trusts (trusted-users).`,
    });
  }
  const signed = await closureOnBuildHost(source.session, source.name, roots, options.signal);
  const lacking = [...signed.values()].filter((info) => !info.signatures.includes(wanted.get(info.path) ?? ''));
  if (lacking.length > 0) throw new FleetError('copy-failed', `${lacking.length} paths in ${source.name}'s store still lack ${key.name}'s signature (the first: ${lacking[0]!.path}).`);
  return signed;
}

/**
 * Push a signed closure from the build host to an ssh:// cache: this machine signs in to the
 * cache's host (its key checked here), asks what it lacks, and the build host runs
 * nix-copy-closure to it itself (its own route, this machine's forwarded agent, trusting only
 * the key verified here), so the closure never passes through this machine. A build host that
 * cannot reach the cache's host (the probe says so first) has it relayed through this machine
 * instead, streamed, as a deploy's relay is.
 */
export async function sendFromBuildHostToCache(
  service: DeployService,
  source: PushSource,
  location: Extract<CacheLocation, { kind: 'ssh' }>,
  roots: readonly string[],
  closure: ReadonlyMap<string, PathInfo>,
  options: PushOptions,
): Promise<{ copiedPaths: number; copiedBytes: number; closurePaths: number; relayedBecause?: string }> {
  const signal = options.signal ? { signal: options.signal } : {};
  const connection = await service.connect({
    host: location.host,
    ...(location.user ? { user: location.user } : {}),
    ...(options.jobId ? { jobId: options.jobId } : {}),
    ...signal,
    connectTimeoutMs: 8000,
  });
  const cache = new HostSession(connection, { kind: 'root' });
  try {
    const serve = await HostServe.open(cache, signal);
    let missing: string[];
    try {
      missing = await serve.missing([...closure.keys()]);
    } finally {
      serve.close();
    }
    const bytes = missing.reduce((n, p) => n + (closure.get(p)?.narSize ?? 0), 0);
    if (missing.length === 0) {
      options.log?.(`${location.host} has all ${closure.size} paths already: nothing sent`);
      return { copiedPaths: 0, copiedBytes: 0, closurePaths: closure.size };
    }
    const login = `${location.user ?? connection.user}@${location.host}`;
    const forwardAgent = options.env.SSH_AUTH_SOCK !== undefined;
    const route = { host: location.host, buildHost: source.name, session: cache };
    const probe = await source.session.connection.exec(fromBuildHostArgv(route, 'probe', [login]), { ...signal, forwardAgent });
    if (probe.code !== 0) {
      const why = outputTail(probe.stderr, 2) || `ssh exited with ${probe.code}`;
      return await relayThroughHere(source, cache, location, roots, closure, why, options);
    }
    options.log?.(`${source.name} sends ${missing.length} of ${closure.size} paths (${formatBytes(bytes)}) straight to ${login}${forwardAgent ? ', signing in with this machine’s ssh-agent' : ''}`);
    const started = Date.now();
    const argv = fromBuildHostArgv(route, 'copy', ['--to', login, ...roots]);
    const pushed = await source.session.connection.exec(argv, { ...signal, forwardAgent, ...(options.log ? { onStderrLine: options.log } : {}) });
    if (pushed.code !== 0) {
      const why = outputTail(pushed.stderr, 3);
      throw new FleetError('copy-failed', `${source.name} could not copy the closure to the cache ${location.url}: ${why || `exit code ${pushed.code}`}`, {
        hint: routeHint(source.name, location.host, why, false),
      });
    }
    options.log?.(`${source.name} copied ${missing.length} paths (${formatBytes(bytes)}) to ${location.host} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { copiedPaths: missing.length, copiedBytes: bytes, closurePaths: closure.size };
  } finally {
    cache.close();
  }
}

/**
 * The push when the build host cannot reach the cache's host: this machine reads the NARs
 * from the build host's `nix-store --serve` and writes them, signatures included, into the
 * cache's `nix-store --serve --write` as they come (the deploy's relay, serve-copy.ts NarDump),
 * so they pass through this machine's link but never enter its store.
 */
async function relayThroughHere(
  source: PushSource,
  cache: HostSession,
  location: Extract<CacheLocation, { kind: 'ssh' }>,
  roots: readonly string[],
  closure: ReadonlyMap<string, PathInfo>,
  why: string,
  options: PushOptions,
): Promise<{ copiedPaths: number; copiedBytes: number; closurePaths: number; relayedBecause: string }> {
  const relayedBecause = `${source.name} cannot reach ${location.host}`;
  options.log?.(`${source.name} cannot reach ${location.host} (${why}): the closure is relayed through this computer (${source.name} -> here -> ${location.host}, streamed, not stored here)`);
  const started = Date.now();
  const narSource = await NarDump.remote(source.session, source.name);
  let copied;
  try {
    copied = await copyClosure(cache, roots, {
      env: options.env,
      ...(options.signal ? { signal: options.signal } : {}),
      closure: Promise.resolve(closurePathsOf(closure)),
      narSource,
    });
  } finally {
    narSource.kill();
  }
  options.log?.(`relayed ${copied.copiedPaths} paths (${formatBytes(copied.copiedBytes)}) from ${source.name} to ${location.host} through this computer in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { copiedPaths: copied.copiedPaths, copiedBytes: copied.copiedBytes, closurePaths: copied.closurePaths, relayedBecause };
}

/**
 * Bring the closure of `roots` from the build host into this machine's store (what it lacks,
 * references first: the build host's `nix-store --export` into a local `nix-store --import`),
 * for a cache only this machine can write to (a file:// folder here, an s3:// bucket with this
 * machine's credentials). Answers how many paths came.
 */
export async function bringHereFromBuildHost(source: PushSource, roots: readonly string[], options: PushOptions): Promise<{ paths: number; closurePaths: number }> {
  const signal = options.signal ? { signal: options.signal } : {};
  // --requisites lists references first: the order nix-store --import needs.
  const listed = await source.session.connection.exec(['nix-store', '--query', '--requisites', ...roots], signal);
  const closure = listed.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (listed.code !== 0 || closure.length === 0) throw new FleetError('copy-failed', `${source.name} cannot list the closure of ${roots.join(' ')}: ${listed.stderr.trim()}`);
  const bad = closure.find((p) => !storePathPattern.test(p));
  if (bad !== undefined) throw new FleetError('copy-failed', `${source.name} listed something that is not a store path: ${JSON.stringify(bad)}.`);
  const nixStore = requireNixStore(options.env);
  const check = await runProcess(nixStore, ['--check-validity', '--print-invalid', ...closure], { env: options.env, ...signal });
  const invalid = new Set(check.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  const missing = closure.filter((p) => invalid.has(p));
  if (missing.length === 0) {
    options.log?.(`this machine has all ${closure.length} paths already`);
    return { paths: 0, closurePaths: closure.length };
  }
  options.log?.(`bringing ${missing.length} of ${closure.length} paths from ${source.name} into this machine's store`);
  const channel = await source.session.connection.spawn(['nix-store', '--export', ...missing]);
  let exportErrors = '';
  channel.stderr.on('data', (c: Buffer) => (exportErrors = (exportErrors + c.toString('utf8')).slice(-4096)));
  const exported = new Promise<number | null>((resolve) => {
    let code: number | null = null;
    channel.on('exit', (c: number | null) => (code = c));
    channel.on('close', () => resolve(code));
  });
  const importer = spawnProcess(nixStore, ['--import'], { env: options.env, openStdin: true, ...signal });
  importer.stdout.resume();
  channel.on('error', () => undefined);
  importer.stdin!.on('error', () => undefined);
  channel.pipe(importer.stdin!);
  // A failed or cancelled import leaves nothing to read the export: it is ended with it.
  const imported = await importer.done.catch((error: unknown) => {
    channel.close();
    throw error;
  });
  if (imported.code !== 0) channel.close();
  const exportCode = await exported;
  if (imported.code !== 0) throw new FleetError('copy-failed', `nix-store --import here failed: ${outputTail(imported.stderr, 2)}`);
  if (exportCode !== 0) throw new FleetError('copy-failed', `nix-store --export on ${source.name} failed: ${exportErrors.trim().split('\n').pop() ?? `exit code ${exportCode}`}`);
  return { paths: missing.length, closurePaths: closure.length };
}
