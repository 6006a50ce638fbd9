import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { androidCommands } from './contract';

/** Handlers of the android domain's commands. */
export function androidHandlers(_ctx: CoreContext): HandlersFor<typeof androidCommands> {
  return {};
}
