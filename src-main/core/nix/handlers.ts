import { FleetError } from '../contract';
import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import { buildTargets, type BuildHostBuilds } from './build';
import type { nixCommands } from './contract';
import { openInEditor } from './editor';
import { checkFlake } from './flake-check';
import { detectNix, type NixInfo } from './nix-info';
import { nixOptionsFromEnv } from './nix-options';
import { requireNix } from './runner';
import { derivationLog } from './derivation-log';
import { resolveTargets } from './targets';

/** Handlers of the nix domain's commands. */
export function nixHandlers(ctx: CoreContext, reach: { readonly buildHosts?: BuildHostBuilds } = {}): HandlersFor<typeof nixCommands> {
  let info: Promise<NixInfo> | undefined;
  const nixInfo = (refresh = false) => {
    if (refresh || !info) info = detectNix(ctx.env);
    return info;
  };
  // Validate FLEET_NIX_OPTIONS and find nix before a job starts, so the caller gets the error at once.
  const runOptions = () => ({ env: ctx.env, nix: requireNix(ctx.env), options: nixOptionsFromEnv(ctx.env) });

  return {
    'nix.info': (input) => nixInfo(input.refresh ?? false),
    'build.targets': async (input) => {
      const root = ctx.root();
      return resolveTargets(input.targets, root, runOptions());
    },
    'build.start': async (input) => {
      const root = ctx.root();
      const options = runOptions();
      const targets = await resolveTargets(input.targets, root, options);
      const labels = targets.map((t) => t.label);
      const concurrency = input.concurrency ?? ctx.settings.get().buildConcurrency;
      const buildHosts = reach.buildHosts?.of(targets, root) ?? new Map<string, string>();
      return {
        spec: { kind: 'build', title: `Build ${labels.join(', ')}`, targets: labels },
        run: async (job) => {
          const result = await buildTargets(targets, {
            ...options,
            root,
            concurrency,
            signal: job.signal,
            log: (text, stream, target) => job.log(text, stream, target),
            onProgress: (p) => job.progress(p),
            ...(input.keepGoing ? { extraArgs: ['--keep-going'] } : {}),
            ...(reach.buildHosts && buildHosts.size > 0 ? { elsewhere: { buildHosts, build: (runs, opts) => reach.buildHosts!.build(runs, opts, job) } } : {}),
          });
          const failed = result.targets.filter((t) => t.status !== 'succeeded');
          if (failed.length === 0) return result;
          // The job fails; each target's outcome stays in the job's last progress snapshot.
          const first = failed[0]!.error;
          const others = failed.length > 1 ? ` (${failed.length} of ${result.targets.length} targets failed)` : '';
          throw new FleetError(first?.code ?? 'build-failed', `${first?.message ?? `${failed[0]!.target} failed`}${others}`, {
            ...(first?.location ? { location: first.location } : {}),
            ...(first?.hint ? { hint: first.hint } : {}),
          });
        },
      };
    },
    'build.derivationLog': (input) => derivationLog(input.drv, runOptions()),
    'flake.check': () => {
      const root = ctx.root();
      const options = runOptions();
      return {
        spec: { kind: 'flake-check', title: 'nix flake check', targets: ['flake check'] },
        run: (job) =>
          checkFlake({
            ...options,
            root,
            signal: job.signal,
            log: (text, stream, target) => job.log(text, stream, target),
            onProgress: (p) => job.progress(p),
          }),
      };
    },
    'editor.open': async (input) => {
      const roots = [ctx.currentRoot(), ctx.exampleHomelab].filter((r): r is string => Boolean(r));
      const command = await openInEditor(
        { file: input.file, ...(input.line ? { line: input.line } : {}), ...(input.column ? { column: input.column } : {}) },
        { editor: ctx.settings.get().editor, env: ctx.env, allowedRoots: roots },
      );
      return { command };
    },
  };
}
