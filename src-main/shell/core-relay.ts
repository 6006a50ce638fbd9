import type { UtilityProcess } from 'electron';
import type { WireReply } from '../core/contract';
import type { FleetEvent } from '../core/events';
import type { CoreProcessMessage, CoreRequest } from './core-protocol';

export interface CoreRelay {
  invoke(name: string, input: unknown): Promise<WireReply<unknown>>;
  onEvent(listener: (event: FleetEvent) => void): () => void;
  shutdown(): void;
}

type Fork = (modulePath: string, args: string[], options: { env: NodeJS.ProcessEnv; serviceName: string }) => UtilityProcess;

/**
 * Start the core in a utility process and relay to it. When it dies (a crash), pending
 * calls are answered with an error and a new core is started, so the window never hangs.
 */
export function startCoreRelay(fork: Fork, modulePath: string, env: NodeJS.ProcessEnv): CoreRelay {
  const listeners = new Set<(event: FleetEvent) => void>();
  const pending = new Map<number, (reply: WireReply<unknown>) => void>();
  let nextId = 1;
  let stopping = false;
  let child: UtilityProcess;

  const start = () => {
    child = fork(modulePath, [], { env, serviceName: 'Homelab Fleet core' });
    child.on('message', (message: CoreProcessMessage) => {
      if (message.type === 'reply') {
        pending.get(message.id)?.(message.reply);
        pending.delete(message.id);
      } else if (message.type === 'event') {
        for (const listener of listeners) listener(message.event);
      }
    });
    child.on('exit', (code) => {
      for (const resolve of pending.values()) {
        resolve({ ok: false, error: { code: 'failed', message: `The app core stopped (exit code ${code}); it is being restarted.` } });
      }
      pending.clear();
      if (!stopping) start();
    });
  };
  start();

  return {
    invoke(name, input) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        const request: CoreRequest = { type: 'invoke', id, name, input };
        child.postMessage(request);
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    shutdown() {
      stopping = true;
      const request: CoreRequest = { type: 'shutdown' };
      child.postMessage(request);
      setTimeout(() => child.kill(), 5000).unref();
    },
  };
}
