import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import { computeAffected } from './affected';
import type { gitCommands } from './contract';
import { readRepoState } from './repo';

/** Handlers of the git domain's commands. */
export function gitHandlers(ctx: CoreContext): HandlersFor<typeof gitCommands> {
  const layoutRoot = (root: string): { layoutRoot?: string } => {
    const setting = ctx.settings.get().layoutRoots?.[root];
    return setting !== undefined ? { layoutRoot: setting } : {};
  };
  return {
    'git.status': () => readRepoState(ctx.root()),
    'changes.affected': (input) => {
      const root = ctx.root();
      return computeAffected(root, {
        ...(input.base !== undefined ? { base: input.base } : {}),
        ...(input.confirm !== undefined ? { confirm: input.confirm } : {}),
        ...layoutRoot(root),
        nix: { env: ctx.env },
      });
    },
  };
}
