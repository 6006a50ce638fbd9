import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { nixCommands } from './contract';

/** Handlers of the nix domain's commands. */
export function nixHandlers(_ctx: CoreContext): HandlersFor<typeof nixCommands> {
  return {};
}
