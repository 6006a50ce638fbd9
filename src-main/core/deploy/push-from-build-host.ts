import { FleetError } from '../contract';
import { formatBytes } from '../../shared/units';
import { fetchFromCache } from './fetch-from-cache';
import type { HostSession } from './host-session';
import { logFor, type DeployEnv } from './host-stages';
import { HostServe } from './serve-copy';
import type { TargetRun } from './target-run';

/** The name the build host's ssh checks the target's key under (HostKeyAlias): one line, no guessing. */
const keyAlias = 'fleet-deploy-target';

/**
 * Run on the build host: a known_hosts holding only the target's key (as this machine
 * verified it), then nix-copy-closure to the target with ssh options that accept that key
 * and nothing else and never prompt. $1: the key line, $2: the port ('' for ssh's default),
 * the rest: nix-copy-closure's arguments.
 */
const pushScript = `
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '%s\\n' "$1" > "$dir/known_hosts"
port=$2
shift 2
opts="-o UserKnownHostsFile=$dir/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o HostKeyAlias=${keyAlias} -o BatchMode=yes -o ConnectTimeout=15"
if [ -n "$port" ]; then opts="$opts -p $port"; fi
NIX_SSHOPTS=$opts exec nix-copy-closure "$@"
`;

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
  const bytes = [...(await narSizesOn(buildHost, missing, env.job.signal)).values()].reduce((a, b) => a + b, 0);
  const hostKey = target.connection.hostKey;
  if (!hostKey) throw new FleetError('copy-failed', `The host key of ${run.spec.host} is not known here, so ${name} could not check it.`);
  const login = run.spec.user ?? target.connection.user;
  const forwardAgent = env.core.env.SSH_AUTH_SOCK !== undefined;
  run.update({ message: `${name} sends ${missing.length} paths (${formatBytes(bytes)}) to ${run.spec.host}`, pathsDone: 0, pathsTotal: missing.length, bytesDone: 0, bytesTotal: bytes });
  log(`${name} sends ${missing.length} of ${paths.length} paths (${formatBytes(bytes)}) straight to ${login}@${run.spec.host}${forwardAgent ? ', signing in with this machine’s ssh-agent' : ''}`, 'info');
  const started = Date.now();
  const args = ['--to', `${login}@${run.spec.host}`, ...(env.substituteOnTarget ? ['--use-substitutes'] : []), run.outPath!];
  const pushed = await buildHost.connection.exec(['sh', '-c', pushScript, 'fleet', `${keyAlias} ${hostKey}`, run.spec.port ? String(run.spec.port) : '', ...args], {
    ...signal,
    forwardAgent,
    onStderrLine: (line) => log(line, 'stderr'),
  });
  if (pushed.code !== 0) {
    const why = pushed.stderr.trim().split('\n').slice(-3).join(' ');
    throw new FleetError('copy-failed', `${name} could not copy the closure to ${run.spec.host}: ${why || `exit code ${pushed.code}`}`, {
      hint: /Permission denied|publickey/i.test(why)
        ? `${name} signs in to ${run.spec.host} with your ssh-agent: load the key that reaches ${run.spec.host} into ssh-agent (ssh-add), or give ${name} a key of its own that ${run.spec.host} accepts.`
        : /resolve|No route|timed out|refused/i.test(why)
          ? `${name} must reach ${run.spec.host} by that name itself (the same LAN or DNS as this machine).`
          : undefined,
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
