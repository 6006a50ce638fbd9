import { FleetError, toWireError } from '../contract';
import { closureListingArgv } from '../closure/listing';
import { parsePathInfoJson, type PathInfo } from '../nix/path-info';
import { outputTail } from '../process/run';
import { closurePathsOf, copyClosure } from './copy-closure';
import { formatBytes } from '../../shared/units';
import { fetchFromCache } from './fetch-from-cache';
import type { HostSession } from './host-session';
import { logFor, type DeployEnv } from './host-stages';
import { HostServe, NarDump } from './serve-copy';
import type { TargetRun } from './target-run';

/** The name the build host's ssh checks the target's key under (HostKeyAlias): one line, no guessing. */
const keyAlias = 'fleet-deploy-target';

/**
 * Run on the build host: a known_hosts holding only the target's key (as this machine
 * verified it), then ssh options that accept that key and nothing else and never prompt,
 * for either a probe (`ssh <login@host> true`: can it reach and sign in to the target?) or
 * the copy (nix-copy-closure to the target: a deploy's host, or the binary cache's). $1: the
 * key line, $2: the port ('' for ssh's default), $3: probe or copy, the rest: ssh's
 * destination or nix-copy-closure's arguments.
 */
const toTargetScript = `
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '%s\\n' "$1" > "$dir/known_hosts"
port=$2
mode=$3
shift 3
opts="-o UserKnownHostsFile=$dir/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o HostKeyAlias=${keyAlias} -o BatchMode=yes -o ConnectTimeout=15"
if [ -n "$port" ]; then opts="$opts -p $port"; fi
if [ "$mode" = probe ]; then ssh $opts -o ConnectTimeout=8 "$1" true; exit; fi
NIX_SSHOPTS=$opts exec nix-copy-closure "$@"
`;

/** The argv that runs toTargetScript on the build host for this target. */
function toTargetArgv(run: TargetRun, target: HostSession, mode: 'probe' | 'copy', args: readonly string[]): string[] {
  return fromBuildHostArgv({ host: run.spec.host, buildHost: run.spec.buildHost!, session: target, ...(run.spec.port ? { port: run.spec.port } : {}) }, mode, args);
}

/**
 * THE way a build host reaches another machine (a deploy's target, the binary cache's host):
 * the argv that runs, on the build host, a probe or nix-copy-closure trusting exactly the host
 * key this machine verified on its own session to that machine (`to.session`).
 */
export function fromBuildHostArgv(
  to: { readonly host: string; readonly buildHost: string; readonly session: HostSession; readonly port?: number },
  mode: 'probe' | 'copy',
  args: readonly string[],
): string[] {
  const hostKey = to.session.connection.hostKey;
  if (!hostKey) throw new FleetError('copy-failed', `The host key of ${to.host} is not known here, so ${to.buildHost} could not check it.`);
  return ['sh', '-c', toTargetScript, 'fleet', `${keyAlias} ${hostKey}`, to.port ? String(to.port) : '', mode, ...args];
}

/** Who the build host signs in to the target as: the deploy's login user. */
function loginOf(run: TargetRun, target: HostSession): string {
  return `${run.spec.user ?? target.connection.user}@${run.spec.host}`;
}

/**
 * Pre-flight of targets built on a build host: can the build host reach and sign in to each
 * target itself (its own route, this machine's forwarded agent, the key verified here)?
 * Where it cannot, the closure is relayed through this computer (build host -> here ->
 * target, streamed, never stored here), said before anything is built; with `relay` off the
 * target fails here instead.
 */
export async function probeBuildHostRoutes(env: DeployEnv, runs: readonly TargetRun[], relay: boolean): Promise<void> {
  const forwardAgent = env.core.env.SSH_AUTH_SOCK !== undefined;
  await Promise.all(
    runs.map(async (run) => {
      const name = run.spec.buildHost;
      const buildHost = name ? env.buildHosts?.get(name)?.session : undefined;
      if (!name || !buildHost || run.done || !run.session || run.toGeneration !== undefined) return;
      const log = logFor(env, run);
      let why: string | undefined;
      try {
        const probe = await buildHost.connection.exec(toTargetArgv(run, run.session, 'probe', [loginOf(run, run.session)]), { signal: env.job.signal, forwardAgent });
        if (probe.code === 0) return log(`build host ${name} reaches ${run.spec.host} itself: it sends the closure straight there`, 'info');
        why = outputTail(probe.stderr, 2) || `ssh exited with ${probe.code}`;
      } catch (error) {
        why = toWireError(error).message;
      }
      if (env.job.signal.aborted) return;
      const because = `build host cannot reach ${run.spec.host}`;
      if (!relay) {
        log(`${name} cannot reach ${run.spec.host}: ${why}`, 'error');
        return run.fail({ code: 'copy-failed', message: `${because} (${name}: ${why})`, hint: routeHint(name, run.spec.host, why) });
      }
      run.relayedBecause = because;
      log(`${name} cannot reach ${run.spec.host} (${why}): the closure will be relayed through this computer (${name} -> here -> ${run.spec.host}, streamed, not stored here)`, 'stderr');
      run.update({ message: `relayed through this computer: ${because}` });
    }),
  );
}

/** What to do when a build host cannot sign in to or reach a target (or the cache's host). */
export function routeHint(name: string, host: string, why: string, relayable = true): string | undefined {
  return /Permission denied|publickey/i.test(why)
    ? `${name} signs in to ${host} with your ssh-agent: load the key that reaches ${host} into ssh-agent (ssh-add), or give ${name} a key of its own that ${host} accepts.`
    : /resolve|No route|timed out|refused|unreachable/i.test(why)
      ? `${name} must reach ${host} by that name itself (the same LAN or DNS as this machine)${relayable ? ', or let the closure be relayed through this computer' : ''}.`
      : undefined;
}

/**
 * The copy stage of a target built on a build host: the build host sends the closure to the
 * target itself over its own ssh (nix-copy-closure), so the bytes go over the link between
 * those two, not through this machine. It signs in with this machine's ssh-agent, forwarded
 * for this command only, and trusts exactly the host key this machine verified for the target.
 */
export async function pushFromBuildHost(env: DeployEnv, run: TargetRun): Promise<void> {
  const name = run.spec.buildHost!;
  const buildHost = env.buildHosts?.get(name)?.session;
  const target = run.session!;
  const log = logFor(env, run);
  if (!buildHost) throw new FleetError('copy-failed', `build host ${name} is not connected.`);
  run.enter('copy', `checking which paths ${run.spec.host} has`);
  const signal = { signal: env.job.signal };
  const closure = await buildHost.connection.exec(['nix-store', '--query', '--requisites', run.outPath!], signal);
  const paths = closure.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (closure.code !== 0 || paths.length === 0) throw new FleetError('copy-failed', `build host ${name} cannot list the closure of ${run.outPath}: ${closure.stderr.trim()}`);
  const serve = await HostServe.open(target, { ...signal, ...(run.spec.kind === 'system' && target.root.kind !== 'root' ? { importAsRoot: true } : {}) });
  let missing: string[];
  try {
    missing = await serve.missing(paths);
    // Paths the cache has come from the cache (the host fetches them itself), the rest from the build host.
    if (missing.length > 0 && run.substitute && env.cacheContents) {
      const sizes = await narSizesOn(buildHost, missing, env.job.signal);
      missing = await fetchFromCache(env, run, target, missing, (p) => sizes.get(p) ?? 0, (p) => serve.missing(p));
    }
  } finally {
    serve.close();
  }
  run.copiedFrom = name;
  if (missing.length === 0) {
    run.copiedPaths = 0;
    run.copiedBytes = 0;
    if (run.fetchedFromCache && run.fetchedFromCache.paths > 0) {
      run.copiedFrom = 'cache';
      log(`${run.spec.host} fetched what it lacked from the cache: nothing sent by ${name}`, 'info');
    } else {
      log(`${run.spec.host} has all ${paths.length} paths already: nothing copied`, 'info');
    }
    return;
  }
  if (run.relayedBecause) return relayThroughHere(env, run, buildHost, missing.length, paths.length);
  const bytes = [...(await narSizesOn(buildHost, missing, env.job.signal)).values()].reduce((a, b) => a + b, 0);
  const login = loginOf(run, target);
  const forwardAgent = env.core.env.SSH_AUTH_SOCK !== undefined;
  run.update({ message: `${name} sends ${missing.length} paths (${formatBytes(bytes)}) to ${run.spec.host}`, pathsDone: 0, pathsTotal: missing.length, bytesDone: 0, bytesTotal: bytes });
  log(`${name} sends ${missing.length} of ${paths.length} paths (${formatBytes(bytes)}) straight to ${login}${forwardAgent ? ', signing in with this machine’s ssh-agent' : ''}`, 'info');
  const started = Date.now();
  const args = ['--to', login, ...(env.substituteOnTarget ? ['--use-substitutes'] : []), run.outPath!];
  const pushed = await buildHost.connection.exec(toTargetArgv(run, target, 'copy', args), {
    ...signal,
    forwardAgent,
    onStderrLine: (line) => log(line, 'stderr'),
  });
  if (pushed.code !== 0) {
    const why = outputTail(pushed.stderr, 3);
    throw new FleetError('copy-failed', `${name} could not copy the closure to ${run.spec.host}: ${why || `exit code ${pushed.code}`}`, {
      hint: routeHint(name, run.spec.host, why),
    });
  }
  run.copiedPaths = missing.length;
  run.copiedBytes = bytes;
  run.update({ pathsDone: missing.length, bytesDone: bytes });
  log(`${name} copied ${missing.length} paths (${formatBytes(bytes)}) to ${run.spec.host} in ${((Date.now() - started) / 1000).toFixed(1)} s`, 'info');
}

/** The NAR sizes of store paths in a host's store (the build host's, for what it sends). */
export async function narSizesOn(buildHost: HostSession, paths: readonly string[], signal?: AbortSignal): Promise<Map<string, number>> {
  const result = await buildHost.connection.exec(['xargs', 'nix-store', '--query', '--size'], { stdin: paths.join('\n') + '\n', ...(signal ? { signal } : {}) });
  const sizes = result.stdout.split('\n').map((l) => Number(l.trim()) || 0);
  return new Map(paths.map((p, i) => [p, sizes[i] ?? 0]));
}

/** The closure of `roots` in a build host's store, as `nix path-info -r --json` describes it there. */
export async function closureOnBuildHost(session: HostSession, name: string, roots: readonly string[], signal?: AbortSignal): Promise<Map<string, PathInfo>> {
  const all = new Map<string, PathInfo>();
  for (const root of roots) {
    const listed = await session.connection.exec(closureListingArgv(root), signal ? { signal } : {});
    if (listed.code !== 0) throw new FleetError('copy-failed', `build host ${name} cannot describe the closure of ${root}: ${outputTail(listed.stderr, 1) || `exit code ${listed.code}`}`);
    for (const [p, info] of parsePathInfoJson(listed.stdout)) all.set(p, info);
  }
  for (const root of roots) if (!all.has(root)) throw new FleetError('copy-failed', `${root} is not in build host ${name}'s store.`);
  return all;
}

/**
 * The copy when the build host cannot reach the target: this machine reads the NARs from the
 * build host's `nix-store --serve` and writes them into the target's `nix-store --serve
 * --write` as they come (the deploy's own streamed copy, with the build host as its source),
 * so they pass through this machine's link but never enter its store.
 */
async function relayThroughHere(env: DeployEnv, run: TargetRun, buildHost: HostSession, missing: number, total: number): Promise<void> {
  const name = run.spec.buildHost!;
  const log = logFor(env, run);
  const signal = env.job.signal;
  const closure = closurePathsOf(await closureOnBuildHost(buildHost, name, [run.outPath!], signal));
  const source = await NarDump.remote(buildHost, name);
  log(`relaying ${missing} of ${total} paths from ${name} through this computer to ${run.spec.host} (${run.relayedBecause})`, 'info');
  run.update({ message: `relayed through this computer: ${run.relayedBecause}` });
  const started = Date.now();
  const copied = await copyClosure(run.session!, [run.outPath!], {
    env: env.core.env,
    signal,
    closure: Promise.resolve(closure),
    narSource: source,
    ...(run.spec.kind === 'system' && run.session!.root.kind !== 'root' ? { importAsRoot: true } : {}),
    onProgress: (p) => run.update({ pathsDone: p.pathsDone, pathsTotal: p.pathsTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
  });
  run.copiedPaths = copied.copiedPaths;
  run.copiedBytes = copied.copiedBytes;
  log(`relayed ${copied.copiedPaths} paths (${formatBytes(copied.copiedBytes)}) from ${name} to ${run.spec.host} through this computer in ${((Date.now() - started) / 1000).toFixed(1)} s`, 'info');
}
