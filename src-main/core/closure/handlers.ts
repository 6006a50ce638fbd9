import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { BuildHostBuilds } from '../nix/build';
import type { closureCommands } from './contract';
import { runClosureDiff, validateClosureRequest, type DroidAgainstPhone } from './diff-job';

/** What the closure domain is handed by the core: the way to a phone lives in android/, to a build host in deploy/, both above it. */
export interface ClosureReach {
  readonly droidAgainstPhone: DroidAgainstPhone;
  /** Systems with a build host are built (and their closure listed) there. */
  readonly buildHosts?: BuildHostBuilds;
}

/** Handlers of the closure domain's commands. */
export function closureHandlers(ctx: CoreContext, reach: ClosureReach): HandlersFor<typeof closureCommands> {
  return {
    'closure.diff': (input) => {
      const root = ctx.root();
      const layoutRoot = ctx.settings.get().layoutRoots?.[root];
      const machine = validateClosureRequest(root, input, layoutRoot);
      const title = machine ? `Closure diff of ${machine.onHost ?? machine.name}${input.base ? ` against ${input.base}` : ' against the running host'}` : 'Closure diff of two store paths';
      return {
        spec: { kind: 'closure-diff', title, ...(machine ? { targets: [machine.name] } : {}) },
        run: (job) => runClosureDiff(ctx, job, root, input, machine, layoutRoot, reach.droidAgainstPhone, reach.buildHosts),
      };
    },
  };
}
