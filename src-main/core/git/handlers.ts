import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { gitCommands } from './contract';

/** Handlers of the git domain's commands. */
export function gitHandlers(_ctx: CoreContext): HandlersFor<typeof gitCommands> {
  return {};
}
