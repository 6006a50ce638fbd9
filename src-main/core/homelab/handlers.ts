import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { homelabCommands } from './contract';

/** Handlers of the homelab domain's commands. */
export function homelabHandlers(_ctx: CoreContext): HandlersFor<typeof homelabCommands> {
  return {};
}
