import { FleetError, toWireError } from '../contract';
import { buildTargets } from '../nix/build';
import { runNix } from '../nix/runner';
import { droidBuildOptions, nixOptionsFromEnv, type NixOption } from '../nix/nix-options';
import { configurationTarget, type BuildTarget } from '../nix/targets';
import { buildOnBuildHosts } from './build-host';
import { copyClosure } from './copy-closure';
import { evaluatedOutputs, locallyMissing } from './outputs';
import { logFor, type DeployEnv } from './host-stages';
import { hostKindOf, type TargetRun } from './target-run';
import { alreadyUpToDate, hostStateOf } from './up-to-date';

/**
 * Build every ready target's configuration. Local builds share one runner (each
 * configuration built once even when several targets use it); a droid's aarch64-linux
 * activation package is built beside them with extra-platforms; targets with buildOnTarget
 * get their derivation closure copied and realised on the host instead.
 */
export async function buildStage(env: DeployEnv, runs: readonly TargetRun[], root: string): Promise<void> {
  const remote = runs.filter((r) => r.spec.buildOnTarget);
  const onBuildHosts = runs.filter((r) => !r.spec.buildOnTarget && r.spec.buildHost);
  for (const run of runs) {
    run.enter('build', 'evaluating');
    run.builtOn = run.spec.buildOnTarget ? 'the host itself' : (run.spec.buildHost ?? 'here');
  }
  const elsewhere = buildOnBuildHosts(env, onBuildHosts, root);
  const here = runs.filter((r) => !r.spec.buildOnTarget && !r.spec.buildHost);
  const droids = here.filter((r) => r.spec.kind === 'droid');
  const local = await skipBuilt(env, here.filter((r) => r.spec.kind !== 'droid'), root);
  await Promise.all([
    buildHere(env, local, root),
    buildHere(env, droids, root, droidBuildOptions(nixOptionsFromEnv(env.core.env))),
    ...remote.map((run) => buildOnHost(env, run, root)),
    elsewhere,
  ]);
}

/**
 * Build these targets here, with these nix options (default: FLEET_NIX_OPTIONS): in ONE nix
 * process when there are several (colmena's way: the flake and nixpkgs evaluated once, what
 * the configurations share built once); only when that fails one by one, so each target gets
 * its own error.
 */
async function buildHere(env: DeployEnv, runs: readonly TargetRun[], root: string, options?: readonly NixOption[]): Promise<void> {
  if (runs.length === 0) return;
  const byLabel = new Map<string, TargetRun[]>();
  for (const run of runs) {
    const label = `${run.spec.kind}:${run.spec.config}`;
    byLabel.set(label, [...(byLabel.get(label) ?? []), run]);
  }
  const targets = [...byLabel.values()].map((same) => configurationTarget(same[0]!.spec.kind, same[0]!.spec.config, `${same[0]!.spec.kind}:${same[0]!.spec.config}`));
  const batched = targets.length > 1 ? await buildTogether(env, targets, byLabel, root, options) : undefined;
  if (batched) {
    for (const [label, outPath] of batched) {
      for (const run of byLabel.get(label) ?? []) {
        run.outPath = outPath;
        run.update({ message: 'built' });
      }
    }
    return;
  }
  const result = await buildTargets(targets, {
    root,
    env: env.core.env,
    ...(options ? { options } : {}),
    signal: env.job.signal,
    concurrency: env.core.settings.get().buildConcurrency,
    // Parallel nix processes on one checkout trip over nix's eval-cache database ("is busy").
    extraArgs: ['--option', 'eval-cache', 'false'],
    log: (text, stream, label) => {
      for (const run of byLabel.get(label) ?? []) env.job.log(text, stream, run.spec.id);
    },
  });
  for (const built of result.targets) {
    for (const run of byLabel.get(built.target) ?? []) {
      if (built.status === 'succeeded' && built.outPath) {
        run.outPath = built.outPath;
        run.update({ message: 'built' });
      } else {
        run.finish(built.status === 'cancelled' ? 'cancelled' : 'failed', built.error?.message ?? 'the build failed');
      }
    }
  }
}

/**
 * Build every target in ONE `nix build` (their log lines go to each of their runs); the out
 * path of each label, or undefined when the build failed or was cancelled.
 */
async function buildTogether(
  env: DeployEnv,
  targets: readonly BuildTarget[],
  byLabel: ReadonlyMap<string, readonly TargetRun[]>,
  root: string,
  options?: readonly NixOption[],
): Promise<Map<string, string> | undefined> {
  const runs = [...byLabel.values()].flat();
  for (const run of runs) run.update({ message: `building with ${targets.length - 1} other configuration${targets.length === 2 ? '' : 's'}` });
  const result = await runNix(['build', '--no-link', '--json', '--print-build-logs', ...targets.map((t) => t.installable)], {
    cwd: root,
    env: env.core.env,
    ...(options ? { options } : {}),
    signal: env.job.signal,
    collectStdout: true,
    onStderrLine: (line) => {
      for (const run of runs) env.job.log(line, 'stderr', run.spec.id);
    },
  }).catch(() => undefined);
  if (!result || result.code !== 0 || env.job.signal.aborted) return undefined;
  try {
    // `nix build --json` does not list its installables in the order given (Nix 2.8 does not):
    // each label's out path comes from the deploy's evaluation, and must be among those built.
    const built = new Set((JSON.parse(result.stdout) as { outputs?: { out?: string } }[]).flatMap((b) => (b.outputs?.out ? [b.outputs.out] : [])));
    const evaluated = await (env.outputs ?? Promise.resolve(undefined));
    if (!evaluated) return undefined;
    const outs = new Map<string, string>();
    for (const [label, same] of byLabel) {
      const spec = same[0]!.spec;
      const out = spec.kind === 'droid' ? undefined : evaluated[spec.kind][spec.config];
      if (out && built.has(out)) outs.set(label, out);
    }
    return outs.size === targets.length ? outs : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Targets whose configuration is already in the local store, or already runs on its host,
 * get their out path from one evaluation (usually the cached one) and skip `nix build`; the
 * others are returned to be built. A host that runs it needs nothing from this store, so an
 * unchanged re-deploy does not even ask the store.
 */
async function skipBuilt(env: DeployEnv, runs: readonly TargetRun[], root: string): Promise<TargetRun[]> {
  if (runs.length === 0) return [];
  const kinds = new Set(runs.map((r) => hostKindOf(r.spec)));
  const outputs = await (env.outputs ?? evaluatedOutputs(root, { env: env.core.env, dataDir: env.core.dataDir, kinds, signal: env.job.signal })).catch(() => undefined);
  if (!outputs) return [...runs];
  const wanted = runs.map((r) => outputs[hostKindOf(r.spec)][r.spec.config]);
  const onHost = runs.map((run, i) => wanted[i] !== undefined && !env.force && alreadyUpToDate(env.mode, wanted[i], hostStateOf(run)));
  const toCheck = wanted.filter((p, i): p is string => p !== undefined && !onHost[i]);
  const missing = await locallyMissing(toCheck, env.core.env);
  const toBuild: TargetRun[] = [];
  runs.forEach((run, i) => {
    const out = wanted[i];
    if (out && (onHost[i] || !missing.has(out))) {
      run.outPath = out;
      logFor(env, run)(onHost[i] ? `evaluated: ${out} (the host runs it already)` : `already built: ${out}`, 'info');
      run.update({ message: onHost[i] ? 'evaluated' : 'already built' });
    } else {
      toBuild.push(run);
    }
  });
  return toBuild;
}

/** Evaluate the derivation here, copy its closure to the host and realise it there. */
async function buildOnHost(env: DeployEnv, run: TargetRun, root: string): Promise<void> {
  const log = logFor(env, run);
  try {
    const target = configurationTarget(run.spec.kind, run.spec.config);
    const drv = await runNix(['eval', '--raw', `${target.installable}.drvPath`], { cwd: root, env: env.core.env, signal: env.job.signal });
    if (drv.code !== 0) throw new FleetError('eval-failed', `${run.spec.id}: ${drv.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const drvPath = drv.stdout.trim();
    run.drvPath = drvPath;
    run.update({ message: 'copying the derivation to the host' });
    await copyClosure(run.session!, [drvPath], { env: env.core.env, signal: env.job.signal, importAsRoot: run.session!.root.kind !== 'root' });
    run.update({ message: 'building on the host' });
    const result = await run.session!.connection.exec(['nix-store', '--realise', drvPath], {
      signal: env.job.signal,
      onStderrLine: (l) => log(l, 'stderr'),
    });
    const out = result.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('/nix/store/'));
    if (result.code !== 0 || !out) throw new FleetError('build-failed', `building ${run.spec.id} on ${run.spec.host} failed (exit code ${result.code}).`);
    run.outPath = out;
    run.builtOnHost = true;
    log(`built on the host: ${out}`, 'info');
  } catch (error) {
    const wire = toWireError(error);
    log(wire.message, 'error');
    run.finish(wire.code === 'cancelled' ? 'cancelled' : 'failed', wire.message);
  }
}
