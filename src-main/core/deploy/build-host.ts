import { FleetError, toWireError } from '../contract';
import { parseBuildHost } from '../homelab/names';
import { BuildProgressModel } from '../nix/build-progress';
import { nixErrorFromStderr } from '../nix/nix-errors';
import { runNix } from '../nix/runner';
import type { BuildHostRoot } from '../nix/build';
import { buildRootName, keepBuilds, pendingRootArgs, prepareBuildRoots, type BuildRoots, type KeptBuild } from './build-roots';
import { copyClosure } from './copy-closure';
import { HostSession, negotiateRoot } from './host-session';
import { logFor, type DeployEnv } from './host-stages';
import type { TargetRun } from './target-run';

/** A build host of one deploy: its open session, or why it cannot be used. */
export interface BuildHostLink {
  readonly name: string;
  readonly session?: HostSession;
  readonly problem?: { readonly offline: boolean; readonly message: string };
}

/**
 * Reach every build host of the deploy (each once, however many targets it builds for), in
 * parallel with the targets' pre-flight. A target whose build host is offline or refuses us
 * ends here, before anything is built: nothing would be gained by building it elsewhere.
 */
export async function connectBuildHosts(env: DeployEnv, runs: readonly TargetRun[]): Promise<void> {
  const names = [...new Set(runs.map((r) => r.spec.buildHost).filter((b): b is string => b !== undefined))];
  if (names.length === 0) return;
  env.buildHosts ??= new Map();
  await Promise.all(
    names.map(async (name) => {
      const link = await openBuildHost(env, name);
      env.buildHosts!.set(name, link);
    }),
  );
}

/** What reaching and using a build host needs: the core, its SSH layer and the job it works for (a deploy's, or a build's). */
export type BuildHostEnv = Pick<DeployEnv, 'core' | 'service' | 'job'>;

/**
 * Open a session to a build host and check it can build (nix-store on its PATH, root or a
 * trusted user). Never throws: a build host that cannot be used says why, and whether it is
 * offline.
 */
export async function openBuildHost(env: BuildHostEnv, name: string, log: (text: string, stream: 'info' | 'error') => void = (t, s) => env.job.log(t, s)): Promise<BuildHostLink> {
  const { host, user } = parseBuildHost(name);
  log(`build host ${name}: connecting`, 'info');
  try {
    const connection = await env.service.connect({
      host,
      ...(user ? { user } : {}),
      jobId: env.job.id,
      signal: env.job.signal,
      connectTimeoutMs: 8000,
      // The build host signs in to each target with this machine's agent, for the copy only.
      ...(env.core.env.SSH_AUTH_SOCK ? { forwardAgent: true } : {}),
    });
    try {
      const probe = await connection.exec(['nix-store', '--version'], { signal: env.job.signal });
      if (probe.code !== 0) throw new FleetError('no-nix', `build host ${name} has no nix-store on the PATH of SSH sessions.`);
      // Root, or sudo without a password; else commands run as the login user itself, which
      // its nix-daemon must then trust (trusted-users) to take unsigned derivations.
      const root = await negotiateRoot(connection, async () => undefined, env.job.signal).catch(() => ({ kind: 'root' as const }));
      log(`build host ${name}: ${probe.stdout.trim()} (as ${connection.user})`, 'info');
      return { name, session: new HostSession(connection, root) };
    } catch (error) {
      connection.close();
      throw error;
    }
  } catch (error) {
    const wire = toWireError(error);
    log(`build host ${name}: ${wire.message}`, 'error');
    return { name, problem: { offline: wire.code === 'host-unreachable', message: wire.message } };
  }
}

/** Why a build host cannot be used, in the words a target's outcome (or a build's) gives. */
export function buildHostProblem(name: string, problem: NonNullable<BuildHostLink['problem']>): string {
  return problem.offline ? `build host ${name} is offline: ${problem.message}` : `build host ${name} cannot build: ${problem.message}`;
}

/** End the targets whose build host cannot be used, saying why. */
export function dropTargetsWithoutBuildHost(env: DeployEnv, runs: readonly TargetRun[]): void {
  for (const run of runs) {
    const name = run.spec.buildHost;
    if (name === undefined || run.done) continue;
    const problem = env.buildHosts?.get(name)?.problem;
    if (!problem) continue;
    const message = buildHostProblem(name, problem);
    logFor(env, run)(message, 'error');
    run.finish(problem.offline ? 'skipped' : 'failed', message);
  }
}

/** Close every build host session of the deploy. */
export function closeBuildHosts(env: DeployEnv): void {
  for (const link of env.buildHosts?.values() ?? []) link.session?.close();
}

const toplevels = `names: cs: builtins.listToAttrs (map (n: {
  name = n;
  value = { drv = cs.\${n}.config.system.build.toplevel.drvPath; out = cs.\${n}.config.system.build.toplevel.outPath; };
}) names)`;

/** A system's derivation and the out path it builds. */
export interface SystemDerivation {
  readonly drv: string;
  readonly out: string;
}

/**
 * Evaluate here, in ONE nix evaluation, the derivation and out path of each of these
 * systems' toplevels (what a build host is handed). `flake`: the checkout as it is ('.'),
 * or a flake reference to one of its git revisions. Throws the evaluation's error, mapped
 * into the checkout.
 */
export async function evaluateSystems(root: string, names: readonly string[], env: NodeJS.ProcessEnv, signal: AbortSignal, flake = '.'): Promise<Record<string, SystemDerivation>> {
  // The names come in through the environment: no data is spliced into nix code.
  const evaluated = await runNix(
    ['eval', '--json', '--impure', '--option', 'eval-cache', 'false', `${flake}#nixosConfigurations`, '--apply', `cs: (${toplevels}) (builtins.fromJSON (builtins.getEnv "FLEET_BUILD_NAMES")) cs`],
    { cwd: root, env: { ...env, FLEET_BUILD_NAMES: JSON.stringify([...new Set(names)]) }, signal },
  );
  if (evaluated.code !== 0) throw nixErrorFromStderr(evaluated.stderr, { root, fallback: 'evaluating the systems failed' });
  return JSON.parse(evaluated.stdout) as Record<string, SystemDerivation>;
}

/** A system's toplevel to build on a build host. */
export interface SystemBuild extends SystemDerivation {
  /** The system's name: its build's garbage-collector root there is named after it. */
  readonly system: string;
}

/** What realising derivations on a build host came to. */
export interface BuildHostRealised {
  /** Out paths asked for that are not valid on the build host afterwards (not built). */
  readonly invalid: ReadonlySet<string>;
  /** nix-store --realise's exit code (null: ended by a signal). */
  readonly code: number | null;
}

/**
 * THE way a build host builds (a deploy's, a build job's and a closure diff's): copy the
 * derivation closures there (only what it lacks), then realise all of them in ONE
 * `nix-store --realise --keep-going` as root, its internal-json log handed to the caller's
 * progress model (the same as a local build's: derivations, phases, failures with their log
 * tails), then ask which out paths it now has. What it built keeps a garbage-collector root
 * there (build-roots.ts): a pending one from the realise itself, then one per system.
 */
export async function realiseOnBuildHost(
  session: HostSession,
  name: string,
  paths: readonly SystemBuild[],
  options: {
    /** Which root keeps each build (default 'system': the one the next deploy copies). */
    readonly root?: BuildHostRoot;
    /** Each line of nix's internal-json log, for the progress model(s) reading it. */
    readonly onStderrLine: (line: string) => void;
    readonly env: NodeJS.ProcessEnv;
    readonly signal: AbortSignal;
    readonly log: (text: string, stream: 'info' | 'stderr' | 'error') => void;
    /** Sending the derivations: paths and bytes so far. */
    readonly onCopyProgress?: (p: { pathsDone: number; pathsTotal: number; bytesDone: number; bytesTotal: number }) => void;
    readonly onBuilding?: () => void;
  },
): Promise<BuildHostRealised> {
  const drvs = [...new Set(paths.map((p) => p.drv))];
  const copied = await copyClosure(session, drvs, {
    env: options.env,
    signal: options.signal,
    importAsRoot: session.root.kind !== 'root',
    ...(options.onCopyProgress ? { onProgress: options.onCopyProgress } : {}),
  });
  options.log(`build host ${name}: sent ${copied.copiedPaths} of ${copied.closurePaths} derivation-closure paths`, 'info');
  const roots = await prepareBuildRoots(session, options.signal).catch((error: unknown) => {
    if (options.signal.aborted) throw error;
    options.log(`build host ${name}: no folder for garbage-collector roots (${toWireError(error).message}); what it builds is not kept from its garbage collection`, 'stderr');
    return undefined;
  });
  options.onBuilding?.();
  // --keep-going: one system's broken derivation does not stop the others' builds.
  const result = await session.asRoot(['nix-store', '--realise', '--keep-going', ...(roots ? pendingRootArgs(roots) : []), '--log-format', 'internal-json', '-v', ...drvs], {
    signal: options.signal,
    onStderrLine: options.onStderrLine,
  });
  const outs = paths.map((p) => p.out);
  const check = await session.connection.exec(['nix-store', '--check-validity', '--print-invalid', ...outs], { signal: options.signal });
  const invalid = new Set(check.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  if (check.code !== 0 && invalid.size === 0) outs.forEach((o) => invalid.add(o));
  if (roots) await keepOnBuildHost(session, name, roots, paths.filter((p) => !invalid.has(p.out)), options);
  return { invalid, code: result.code };
}

/** Give each build its root on the build host (replacing the system's last one) and say where, or why not. */
async function keepOnBuildHost(
  session: HostSession,
  name: string,
  roots: BuildRoots,
  built: readonly SystemBuild[],
  options: { readonly root?: BuildHostRoot; readonly signal: AbortSignal; readonly log: (text: string, stream: 'info' | 'stderr') => void },
): Promise<void> {
  const kept = new Map<string, KeptBuild>();
  for (const build of built) {
    const root = buildRootName(build.system, options.root ?? 'system');
    if (root === undefined) options.log(`build host ${name}: ${build.system} is not a name a root can have; ${build.out} is not kept from its garbage collection`, 'stderr');
    else kept.set(root, { name: root, out: build.out });
  }
  try {
    const problem = await keepBuilds(session, roots, [...kept.values()], options.signal);
    if (problem) options.log(`build host ${name}: could not keep every build from its garbage collection: ${problem}`, 'stderr');
    else for (const k of kept.values()) options.log(`build host ${name}: ${k.out} kept by the root ${roots.folder}/${k.name}`, 'info');
  } catch (error) {
    if (!options.signal.aborted) options.log(`build host ${name}: could not keep its builds from its garbage collection: ${toWireError(error).message}`, 'stderr');
  }
}

/**
 * Why `label` was not built on the build host: the first failed derivation (its full log is
 * `ssh <build host> nix log <drv>`), else nix's own first error.
 */
export function buildHostFailure(label: string, name: string, model: BuildProgressModel, code: number | null): string {
  const failures = model.failures;
  const first = failures[0];
  return first
    ? `${label}: ${first.name} failed to build on ${name}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}`
    : `${label}: building on ${name} failed (exit code ${code})${model.errors[0] ? `: ${model.errors[0].message}` : ''}`;
}

/** The log line that says where a failed derivation's whole log is. */
export function buildHostLogHint(name: string, drv: string): string {
  return `ssh ${name} nix log ${drv}`;
}

/**
 * Build every target that names a build host: evaluate all their derivations here in one
 * nix evaluation, copy the derivation closures to each build host, and realise all of a
 * build host's toplevels in ONE `nix-store --realise` there. Progress and failures come from
 * nix's own log (internal-json), as for a local build.
 */
export async function buildOnBuildHosts(env: DeployEnv, runs: readonly TargetRun[], root: string): Promise<void> {
  if (runs.length === 0) return;
  for (const run of runs) run.update({ message: `evaluating here, to build on ${run.spec.buildHost}` });
  let paths: Record<string, SystemDerivation>;
  try {
    paths = await evaluateSystems(root, runs.map((r) => r.spec.config), env.core.env, env.job.signal);
  } catch (error) {
    const message = toWireError(error).message;
    for (const run of runs) {
      logFor(env, run)(message, 'error');
      run.finish(env.job.signal.aborted ? 'cancelled' : 'failed', message);
    }
    return;
  }
  for (const run of runs) {
    const p = paths[run.spec.config];
    if (p) {
      run.drvPath = p.drv;
      run.outPath = p.out;
    }
  }
  const groups = new Map<string, TargetRun[]>();
  for (const run of runs) groups.set(run.spec.buildHost!, [...(groups.get(run.spec.buildHost!) ?? []), run]);
  await Promise.all([...groups].map(([name, group]) => buildGroup(env, env.buildHosts?.get(name), group)));
}

async function buildGroup(env: DeployEnv, link: BuildHostLink | undefined, runs: readonly TargetRun[]): Promise<void> {
  const name = runs[0]!.spec.buildHost!;
  const logAll = (text: string, stream: 'stdout' | 'stderr' | 'info' | 'error') => {
    for (const run of runs) logFor(env, run)(text, stream);
  };
  const session = link?.session;
  if (!session) {
    for (const run of runs) run.finish('failed', `build host ${name} is not connected`);
    return;
  }
  for (const run of runs) run.builtOn = name;
  const model = new BuildProgressModel(name, undefined, (text, stream) => logAll(text, stream));
  let timer: NodeJS.Timeout | undefined;
  try {
    for (const run of runs) run.update({ message: `copying the derivation to ${name}` });
    const result = await realiseOnBuildHost(session, name, runs.map((r) => ({ drv: r.drvPath!, out: r.outPath!, system: r.spec.config })), {
      onStderrLine: (line) => model.feed(line),
      env: env.core.env,
      signal: env.job.signal,
      log: logAll,
      onCopyProgress: (p) => {
        for (const run of runs) run.update({ pathsDone: p.pathsDone, pathsTotal: p.pathsTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal });
      },
      onBuilding: () => {
        for (const run of runs) run.update({ message: `building on ${name}` });
        timer = setInterval(() => {
          if (!model.dirty) return;
          const snap = model.snapshot('running');
          for (const run of runs) run.update({ message: `building on ${name}${snap.total ? `: ${snap.done ?? 0}/${snap.total} derivations` : ''}` });
        }, 250);
      },
    });
    const failures = model.failures;
    for (const run of runs) {
      if (!result.invalid.has(run.outPath!)) {
        logFor(env, run)(`built on ${name}: ${run.outPath}`, 'info');
        run.update({ message: `built on ${name}` });
        continue;
      }
      if (failures.length > 0) run.failedDerivations = failures;
      for (const f of failures) logFor(env, run)(`${f.name} failed on ${name}; its full build log: ${buildHostLogHint(name, f.drv)}`, 'error');
      run.outPath = undefined;
      run.finish(env.job.signal.aborted ? 'cancelled' : 'failed', buildHostFailure(run.spec.id, name, model, result.code));
    }
  } catch (error) {
    const wire = toWireError(error);
    for (const run of runs.filter((r) => !r.done)) {
      logFor(env, run)(wire.message, 'error');
      run.outPath = undefined;
      run.finish(wire.code === 'cancelled' ? 'cancelled' : 'failed', wire.message);
    }
  } finally {
    clearInterval(timer);
  }
}
