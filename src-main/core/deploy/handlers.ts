import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { deployCommands } from './contract';

/** Handlers of the deploy domain's commands. */
export function deployHandlers(_ctx: CoreContext): HandlersFor<typeof deployCommands> {
  return {};
}
