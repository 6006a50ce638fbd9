import { toWireError, type WireError } from '../contract';
import type { CoreContext } from '../context';
import type { LogStream } from '../jobs/types';
import { BuildProgressModel } from '../nix/build-progress';
import type { BuildHostBuilds, BuildHostRoot, BuildOptions, BuildRun, TargetBuildResult } from '../nix/build';
import type { BuildTarget } from '../nix/targets';
import { buildHostFailure, buildHostLogHint, buildHostProblem, evaluateSystems, openBuildHost, realiseOnBuildHost, type BuildHostEnv, type SystemDerivation } from './build-host';
import type { HostSession } from './host-session';
import { narSizesOn } from './push-from-build-host';
import { deployService } from './service';
import { resolveTargets, scanForDeploy } from './targets';

/**
 * Builds of the build job on build hosts: the same path a deploy takes (build-host.ts:
 * evaluated here, derivations copied, realised there in one nix-store --realise), reported
 * as a local build's progress (one progress model per target, fed nix's own log).
 */
export function buildHostBuilds(ctx: CoreContext): BuildHostBuilds {
  return {
    of(targets, root) {
      const systems = targets.filter((t) => t.kind === 'system');
      const hosts = new Map<string, string>();
      if (systems.length === 0) return hosts;
      const defaultBuildHost = ctx.settings.get().deploy.buildHost;
      const inventory = scanForDeploy(root, ctx.settings.get().layoutRoots[root]);
      for (const target of systems) {
        try {
          // A deploy's own rule: buildOnTarget, or a build host that is the host itself, build here.
          const [spec] = resolveTargets(inventory, [target.name], defaultBuildHost ? { defaultBuildHost } : {});
          if (spec?.buildHost) hosts.set(target.label, spec.buildHost);
        } catch {
          // A system the directory scan does not know, or one that cannot be deployed: built here.
        }
      }
      return hosts;
    },
    build: (runs, options, job, root) => buildOnHosts({ core: ctx, service: deployService(ctx), job }, runs, options, root),
  };
}

/** The flake a target's installable names: '.' (the checkout as it is), or a git revision of it (closure/diff-job.ts). */
function flakeOf(target: BuildTarget): string {
  const hash = target.installable.indexOf('#');
  return hash < 0 ? '.' : target.installable.slice(0, hash);
}

async function buildOnHosts(env: BuildHostEnv, runs: readonly BuildRun[], options: BuildOptions, root?: BuildHostRoot): Promise<readonly TargetBuildResult[]> {
  const started = Date.now();
  const signal = env.job.signal;
  const results = new Map<BuildRun, TargetBuildResult>();
  const logTo = (run: BuildRun) => (text: string, stream: LogStream) => options.log?.(text, stream, run.target.label);
  for (const run of runs) run.model = new BuildProgressModel(run.target.label, options.root, logTo(run), Date.now, started);
  const base = (run: BuildRun) => ({ target: run.target.label, kind: run.target.kind, attrPath: run.target.attrPath, builtOn: run.builtOn });
  const fail = (run: BuildRun, error: WireError) => {
    const status = error.code === 'cancelled' || signal.aborted ? 'cancelled' : 'failed';
    const failed = run.model!.failures;
    run.final = run.model!.snapshot(status, { finishedAt: Date.now(), message: error.message });
    results.set(run, { ...base(run), status, durationMs: Date.now() - started, built: run.model!.builds().done, error, ...(failed.length > 0 ? { failedDerivations: failed } : {}) });
  };

  // One evaluation per flake: the checkout's targets together, a revision's apart.
  const paths = new Map<BuildRun, SystemDerivation>();
  const flakes = new Map<string, BuildRun[]>();
  for (const run of runs) {
    const flake = flakeOf(run.target);
    flakes.set(flake, [...(flakes.get(flake) ?? []), run]);
  }
  try {
    for (const run of runs) logTo(run)(`evaluating here, to build on ${run.builtOn}`, 'info');
    for (const [flake, group] of flakes) {
      const evaluated = await evaluateSystems(options.root, group.map((r) => r.target.name), options.env ?? env.core.env, signal, flake);
      for (const run of group) paths.set(run, evaluated[run.target.name]!);
    }
  } catch (error) {
    const wire = toWireError(error);
    for (const run of runs) {
      logTo(run)(wire.message, 'error');
      fail(run, wire);
    }
    return runs.map((r) => results.get(r)!);
  }

  const groups = new Map<string, BuildRun[]>();
  for (const run of runs) groups.set(run.builtOn, [...(groups.get(run.builtOn) ?? []), run]);
  await Promise.all(
    [...groups].map(async ([name, group]) => {
      const logAll = (text: string, stream: LogStream) => group.forEach((run) => logTo(run)(text, stream));
      const link = await openBuildHost(env, name, logAll);
      if (!link.session) {
        const problem = link.problem!;
        for (const run of group) fail(run, { code: problem.offline ? 'host-unreachable' : 'build-failed', message: `${run.target.label}: ${buildHostProblem(name, problem)}` });
        return;
      }
      const session = link.session;
      try {
        const wanted = group.map((run) => ({ ...paths.get(run)!, system: run.target.name }));
        const realised = await realiseOnBuildHost(session, name, wanted, {
          ...(root ? { root } : {}),
          // Every target of this build host reads the one log: each row shows the whole build there.
          onStderrLine: (line) => group.forEach((run) => run.model!.feed(line)),
          env: options.env ?? env.core.env,
          signal,
          log: logAll,
        });
        for (const [i, run] of group.entries()) {
          const { drv, out } = wanted[i]!;
          const model = run.model!;
          if (realised.invalid.has(out)) {
            for (const f of model.failures) logTo(run)(`${f.name} failed on ${name}; its full build log: ${buildHostLogHint(name, f.drv)}`, 'error');
            const first = model.failures[0];
            fail(run, {
              code: 'build-failed',
              message: buildHostFailure(run.target.label, name, model, realised.code),
              ...(first ? { hint: `Last lines of its log are in the job log; the whole log: ${buildHostLogHint(name, first.drv)}` } : {}),
            });
            continue;
          }
          const sizes = await closureOn(session, out, signal).catch(() => undefined);
          logTo(run)(`built on ${name}: ${out}`, 'info');
          run.final = model.snapshot('succeeded', { finishedAt: Date.now(), stage: 'done', outPath: out, ...(sizes ? { closureSize: sizes.bytes } : {}) });
          results.set(run, {
            ...base(run),
            status: 'succeeded',
            outPath: out,
            drvPath: drv,
            ...(sizes ? { closureSize: sizes.bytes, closurePaths: sizes.paths } : {}),
            durationMs: Date.now() - started,
            built: model.builds().done,
          });
        }
      } catch (error) {
        const wire = toWireError(error);
        for (const run of group.filter((r) => !results.has(r))) {
          logTo(run)(wire.message, 'error');
          fail(run, wire);
        }
      } finally {
        session.close();
      }
    }),
  );
  return runs.map((r) => results.get(r)!);
}

/** The closure of an out path in the build host's store: how many paths, how many bytes. */
async function closureOn(session: HostSession, out: string, signal: AbortSignal): Promise<{ paths: number; bytes: number }> {
  const listed = await session.connection.exec(['nix-store', '--query', '--requisites', out], { signal });
  const paths = listed.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const sizes = await narSizesOn(session, paths, signal);
  return { paths: paths.length, bytes: [...sizes.values()].reduce((a, b) => a + b, 0) };
}
