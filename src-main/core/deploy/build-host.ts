import { FleetError, toWireError } from '../contract';
import { BuildProgressModel } from '../nix/build-progress';
import { nixErrorFromStderr } from '../nix/nix-errors';
import { runNix } from '../nix/runner';
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

/** "user@host" or "host" (an ssh alias, a DNS name or an address) split as ssh reads it. */
export function parseBuildHost(text: string): { readonly host: string; readonly user?: string } {
  const at = text.lastIndexOf('@');
  return at > 0 ? { user: text.slice(0, at), host: text.slice(at + 1) } : { host: at === 0 ? text.slice(1) : text };
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
      const link = await connectBuildHost(env, name);
      env.buildHosts!.set(name, link);
    }),
  );
}

async function connectBuildHost(env: DeployEnv, name: string): Promise<BuildHostLink> {
  const { host, user } = parseBuildHost(name);
  env.job.log(`build host ${name}: connecting`, 'info');
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
      env.job.log(`build host ${name}: ${probe.stdout.trim()} (as ${connection.user})`, 'info');
      return { name, session: new HostSession(connection, root) };
    } catch (error) {
      connection.close();
      throw error;
    }
  } catch (error) {
    const wire = toWireError(error);
    env.job.log(`build host ${name}: ${wire.message}`, 'error');
    return { name, problem: { offline: wire.code === 'host-unreachable', message: wire.message } };
  }
}

/** End the targets whose build host cannot be used, saying why. */
export function dropTargetsWithoutBuildHost(env: DeployEnv, runs: readonly TargetRun[]): void {
  for (const run of runs) {
    const name = run.spec.buildHost;
    if (name === undefined || run.done) continue;
    const problem = env.buildHosts?.get(name)?.problem;
    if (!problem) continue;
    const message = problem.offline ? `build host ${name} is offline: ${problem.message}` : `build host ${name} cannot build: ${problem.message}`;
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

/**
 * Build every target that names a build host: evaluate all their derivations here in one
 * nix evaluation, copy the derivation closures to each build host, and realise all of a
 * build host's toplevels in ONE `nix-store --realise` there. Progress and failures come from
 * nix's own log (internal-json), as for a local build.
 */
export async function buildOnBuildHosts(env: DeployEnv, runs: readonly TargetRun[], root: string): Promise<void> {
  if (runs.length === 0) return;
  const names = [...new Set(runs.map((r) => r.spec.config))];
  for (const run of runs) run.update({ message: `evaluating here, to build on ${run.spec.buildHost}` });
  // The names come in through the environment: no data is spliced into nix code.
  const evaluated = await runNix(
    ['eval', '--json', '--impure', '--option', 'eval-cache', 'false', '.#nixosConfigurations', '--apply', `cs: (${toplevels}) (builtins.fromJSON (builtins.getEnv "FLEET_BUILD_NAMES")) cs`],
    { cwd: root, env: { ...env.core.env, FLEET_BUILD_NAMES: JSON.stringify(names) }, signal: env.job.signal },
  );
  if (evaluated.code !== 0) {
    const error = nixErrorFromStderr(evaluated.stderr, { root, fallback: 'evaluating the systems failed' });
    for (const run of runs) {
      logFor(env, run)(error.message, 'error');
      run.finish(env.job.signal.aborted ? 'cancelled' : 'failed', error.message);
    }
    return;
  }
  const paths = JSON.parse(evaluated.stdout) as Record<string, { drv: string; out: string }>;
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
  try {
    const drvs = [...new Set(runs.map((r) => r.drvPath!))];
    for (const run of runs) run.update({ message: `copying the derivation to ${name}` });
    const copied = await copyClosure(session, drvs, {
      env: env.core.env,
      signal: env.job.signal,
      importAsRoot: session.root.kind !== 'root',
      onProgress: (p) => {
        for (const run of runs) run.update({ pathsDone: p.pathsDone, pathsTotal: p.pathsTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal });
      },
    });
    logAll(`build host ${name}: sent ${copied.copiedPaths} of ${copied.closurePaths} derivation-closure paths`, 'info');
    for (const run of runs) run.update({ message: `building on ${name}` });
    const model = new BuildProgressModel(name, undefined, (text, stream) => logAll(text, stream));
    const timer = setInterval(() => {
      if (!model.dirty) return;
      const snap = model.snapshot('running');
      for (const run of runs) run.update({ message: `building on ${name}${snap.total ? `: ${snap.done ?? 0}/${snap.total} derivations` : ''}` });
    }, 250);
    let result;
    try {
      // --keep-going: one host's broken derivation does not stop the others' builds.
      result = await session.asRoot(['nix-store', '--realise', '--keep-going', '--log-format', 'internal-json', '-v', ...drvs], {
        signal: env.job.signal,
        onStderrLine: (line) => model.feed(line),
      });
    } finally {
      clearInterval(timer);
    }
    const outs = runs.map((r) => r.outPath!);
    const check = await session.connection.exec(['nix-store', '--check-validity', '--print-invalid', ...outs], { signal: env.job.signal });
    const invalid = new Set(check.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
    if (check.code !== 0 && invalid.size === 0) outs.forEach((o) => invalid.add(o));
    const failures = model.failures;
    for (const run of runs) {
      if (!invalid.has(run.outPath!)) {
        logFor(env, run)(`built on ${name}: ${run.outPath}`, 'info');
        run.update({ message: `built on ${name}` });
        continue;
      }
      if (failures.length > 0) run.failedDerivations = failures;
      const first = failures[0];
      for (const f of failures) logFor(env, run)(`${f.name} failed on ${name}; its full build log: ssh ${name} nix log ${f.drv}`, 'error');
      const why = first
        ? `${run.spec.id}: ${first.name} failed to build on ${name}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}`
        : `${run.spec.id}: building on ${name} failed (exit code ${result.code})${model.errors[0] ? `: ${model.errors[0].message}` : ''}`;
      run.outPath = undefined;
      run.finish(env.job.signal.aborted ? 'cancelled' : 'failed', why);
    }
  } catch (error) {
    const wire = toWireError(error);
    for (const run of runs.filter((r) => !r.done)) {
      logFor(env, run)(wire.message, 'error');
      run.outPath = undefined;
      run.finish(wire.code === 'cancelled' ? 'cancelled' : 'failed', wire.message);
    }
  }
}
