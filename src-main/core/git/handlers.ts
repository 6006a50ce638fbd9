import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import { commitChanges, deployTreeWarnings, stashChanges } from './actions';
import type { gitCommands } from './contract';
import { readFileDiff, readWorkingChanges } from './file-diff';
import { checkInputNames, updateFlakeInputs } from './flake-update';
import { diffLocks, lockAtRevision, lockInWorkingTree } from './lock-diff';
import { readRepoState, resolveRevision } from './repo';

/** Handlers of the git domain's commands. */
export function gitHandlers(ctx: CoreContext): HandlersFor<typeof gitCommands> {
  return {
    'git.status': () => readRepoState(ctx.root()),
    'git.changes': () => readWorkingChanges(ctx.root()),
    'git.diff': (input) => readFileDiff(ctx.root(), input.path, { ...(input.staged !== undefined ? { staged: input.staged } : {}), ...(input.base ? { base: input.base } : {}) }),
    'git.commit': (input) => commitChanges(ctx.root(), input.message, input.paths),
    'git.stash': (input) => stashChanges(ctx.root(), input.message),
    'git.deployWarnings': () => deployTreeWarnings(ctx.root()),
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
