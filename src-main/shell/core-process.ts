// The core in Electron's utilityProcess: the main process only relays messages, so a busy
// deploy (hashing, copying, parsing nix output) never freezes a window.
import { createCore } from '../core/core';
import { parseCoreRequest, type CoreProcessMessage } from './core-protocol';

interface ParentPort {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
  postMessage(message: CoreProcessMessage): void;
}

const parentPort = (process as unknown as { parentPort: ParentPort }).parentPort;
const dataDir = process.env.FLEET_DATA_DIR;
if (!dataDir) throw new Error('FLEET_DATA_DIR is not set for the core process.');

const core = createCore({
  host: 'desktop',
  dataDir,
  ...(process.env.FLEET_EXAMPLE_HOMELAB ? { exampleHomelab: process.env.FLEET_EXAMPLE_HOMELAB } : {}),
});

core.subscribe((event) => parentPort.postMessage({ type: 'event', event }));

parentPort.on('message', ({ data }) => {
  const request = parseCoreRequest(data);
  if (!request) return;
  if (request.type === 'shutdown') {
    void core.dispose().then(() => process.exit(0));
    return;
  }
  void core.invokeWire(request.name, request.input).then((reply) => {
    parentPort.postMessage({ type: 'reply', id: request.id, reply });
  });
});
