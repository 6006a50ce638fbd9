import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { FleetBridge } from '../core/bridge';
import type { WireReply } from '../core/contract';
import type { FleetEvent } from '../core/events';

// The page's only door to the app: invoke a command, subscribe to events, pick a
// folder, open an allow-listed link. ipcRenderer itself is never exposed.
const bridge = {
  kind: 'desktop',
  invoke: (name: string, input: unknown) => ipcRenderer.invoke('fleet:invoke', name, input) as Promise<WireReply<unknown>>,
  subscribe(listener: (event: FleetEvent) => void) {
    const handler = (_event: IpcRendererEvent, payload: FleetEvent) => listener(payload);
    ipcRenderer.on('fleet:event', handler);
    return () => {
      ipcRenderer.removeListener('fleet:event', handler);
    };
  },
  pickFolder: () => ipcRenderer.invoke('fleet:pick-folder') as Promise<string | null>,
  openExternal: (url: string) => ipcRenderer.invoke('fleet:open-external', url) as Promise<boolean>,
} satisfies FleetBridge;

contextBridge.exposeInMainWorld('fleet', bridge);
