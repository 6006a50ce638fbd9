import type { WireReply } from '../core/contract';
import type { FleetEvent } from '../core/events';

/** Messages from the main process to the core's utility process. */
export type CoreRequest =
  | { readonly type: 'invoke'; readonly id: number; readonly name: string; readonly input: unknown }
  | { readonly type: 'shutdown' };

/** Messages from the core's utility process to the main process. */
export type CoreProcessMessage =
  | { readonly type: 'reply'; readonly id: number; readonly reply: WireReply<unknown> }
  | { readonly type: 'event'; readonly event: FleetEvent };

/** Accept only well-formed requests; anything else is dropped. */
export function parseCoreRequest(data: unknown): CoreRequest | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  if (d.type === 'shutdown') return { type: 'shutdown' };
  if (d.type === 'invoke' && typeof d.id === 'number' && typeof d.name === 'string') {
    return { type: 'invoke', id: d.id, name: d.name, input: d.input };
  }
  return undefined;
}
