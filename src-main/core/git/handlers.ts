import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import { runClosureDiff, validateClosureRequest } from '../closure/diff-job';
import { commitChanges, deployTreeWarnings, stashChanges } from './actions';
import { computeAffected } from './affected';
import type { gitCommands } from './contract';
import { readFileDiff, readWorkingChanges } from './file-diff';
import { checkInputNames, updateFlakeInputs } from './flake-update';
import { diffLocks, lockAtRevision, lockInWorkingTree } from './lock-diff';
import { readRepoState, resolveRevision } from './repo';
import { sinceDeployed } from './since-deployed';
import { recordedDeployOf } from './deployed-revision';
import { openHostExec } from '../closure/host-connection';
import { scanInventory } from '../homelab/scan';
import { FleetError } from '../contract';

/** Handlers of the git domain's commands. */
export function gitHandlers(ctx: CoreContext): HandlersFor<typeof gitCommands> {
  const layoutRootOf = (root: string): string | undefined => ctx.settings.get().layoutRoots?.[root];
  return {
    'git.status': () => readRepoState(ctx.root()),
    'git.changes': () => readWorkingChanges(ctx.root()),
    'git.diff': (input) => readFileDiff(ctx.root(), input.path, { ...(input.staged !== undefined ? { staged: input.staged } : {}), ...(input.base ? { base: input.base } : {}) }),
    'git.commit': (input) => commitChanges(ctx.root(), input.message, input.paths),
    'git.stash': (input) => stashChanges(ctx.root(), input.message),
    'git.deployWarnings': () => deployTreeWarnings(ctx.root()),
    'changes.affected': (input) => {
      const root = ctx.root();
      const layoutRoot = layoutRootOf(root);
      return computeAffected(root, {
        ...(input.base !== undefined ? { base: input.base } : {}),
        ...(input.confirm !== undefined ? { confirm: input.confirm } : {}),
        ...(layoutRoot !== undefined ? { layoutRoot } : {}),
        nix: { env: ctx.env },
      });
    },
    'changes.sinceDeployed': (input) => {
      const root = ctx.root();
      const layoutRoot = layoutRootOf(root);
      const inventory = scanInventory(root, layoutRoot !== undefined ? { layoutRoot } : {});
      if (input.host.startsWith('droid:')) {
        // A phone reports no configuration revision: what the deploy history recorded is the answer.
        const droid = input.host.slice(6);
        if (!inventory.droids.some((d) => d.name === droid)) throw new FleetError('not-found', `There is no droid named "${droid}" in the checkout.`);
        return {
          spec: { kind: 'since-deployed', title: `Changes since ${input.host}'s deploy`, targets: [input.host] },
          run: () => sinceDeployed(root, input.host, undefined, layoutRoot, () => recordedDeployOf(ctx.dataDir, input.host, root), 'droid'),
        };
      }
      const system = inventory.systems.find((s) => s.name === input.host);
      if (!system) throw new FleetError('not-found', `There is no system named "${input.host}" in the checkout.`);
      return {
        spec: { kind: 'since-deployed', title: `Changes since ${input.host}'s deploy`, targets: [input.host] },
        run: async (job) => {
          let close: (() => void) | undefined;
          try {
            return await sinceDeployed(root, input.host, async (argv) => {
              const opened = await openHostExec(ctx, system.deploy, { jobId: job.id, signal: job.signal });
              close = opened.close;
              return opened.exec(argv);
            }, layoutRoot, () => recordedDeployOf(ctx.dataDir, input.host, root));
          } finally {
            close?.();
          }
        },
      };
    },
    'closure.diff': (input) => {
      const root = ctx.root();
      const layoutRoot = layoutRootOf(root);
      const machine = validateClosureRequest(root, input, layoutRoot);
      const title = machine ? `Closure diff of ${machine.onHost ?? machine.name}${input.base ? ` against ${input.base}` : ' against the running host'}` : 'Closure diff of two store paths';
      return {
        spec: { kind: 'closure-diff', title, ...(machine ? { targets: [machine.name] } : {}) },
        run: (job) => runClosureDiff(ctx, job, root, input, machine, layoutRoot),
      };
    },
    'flake.lockDiff': async (input) => {
      const root = ctx.root();
      const rev = await resolveRevision(root, input.base ?? 'HEAD');
      return diffLocks(await lockAtRevision(root, rev), lockInWorkingTree(root));
    },
    'flake.update': (input) => {
      const root = ctx.root();
      const inputs = input.inputs ?? [];
      checkInputNames(inputs);
      return {
        spec: { kind: 'flake-update', title: inputs.length ? `Update ${inputs.join(', ')}` : 'Update flake inputs' },
        run: (job) => updateFlakeInputs(root, inputs, job, ctx.env),
      };
    },
  };
}
