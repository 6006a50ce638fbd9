import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { isCommandName } from '../core/api';
import type { WireReply } from '../core/contract';
import { isAllowedExternal, isTrustedSender } from './security';

export const channels = {
  invoke: 'fleet:invoke',
  event: 'fleet:event',
  pickFolder: 'fleet:pick-folder',
  openExternal: 'fleet:open-external',
} as const;

export interface IpcDeps {
  /** URL of the app's page; IPC from any other frame is refused. */
  readonly appUrl: string;
  /** Relay to the core (in its utility process). */
  invoke(name: string, input: unknown): Promise<WireReply<unknown>>;
  pickFolder(event: IpcMainInvokeEvent): Promise<string | null>;
  openExternal(url: string): Promise<void>;
}

const refused: WireReply<never> = {
  ok: false,
  error: { code: 'forbidden', message: 'This frame may not talk to the app core.' },
};

/**
 * Answer the page's IPC: check the sender frame is the app's own top frame, check the
 * command name, then relay to the core, which validates the input with the contract.
 */
export function bindIpc(ipcMain: Pick<IpcMain, 'handle'>, deps: IpcDeps): void {
  ipcMain.handle(channels.invoke, async (event, name: unknown, input: unknown): Promise<WireReply<unknown>> => {
    if (!isTrustedSender(event.senderFrame, deps.appUrl)) return refused;
    if (!isCommandName(name)) {
      return { ok: false, error: { code: 'unknown-command', message: `Unknown command ${JSON.stringify(name)}.` } };
    }
    return deps.invoke(name, input);
  });
  ipcMain.handle(channels.pickFolder, async (event) => {
    if (!isTrustedSender(event.senderFrame, deps.appUrl)) return null;
    return deps.pickFolder(event);
  });
  ipcMain.handle(channels.openExternal, async (event, url: unknown) => {
    if (!isTrustedSender(event.senderFrame, deps.appUrl)) return false;
    if (typeof url !== 'string' || !isAllowedExternal(url)) return false;
    await deps.openExternal(url);
    return true;
  });
}
