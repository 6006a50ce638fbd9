import { randomBytes } from 'node:crypto';
import { FleetError } from '../contract';
import type { EventBus } from '../events';
import type { PromptRequest } from './contract';

export interface PromptAnswer {
  readonly accept: boolean;
  /** A secret the person typed; kept in memory only, never logged or emitted. */
  readonly value?: string;
}

interface Pending {
  readonly request: PromptRequest;
  readonly resolve: (answer: PromptAnswer) => void;
}

/**
 * Questions a job asks a person mid-way (accept this host key? sudo password?). The
 * request goes out as an event; whichever front end shows it answers with prompts.answer.
 * A question nobody answers within its timeout, or whose job is cancelled, is declined.
 */
export class Prompts {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly events: EventBus) {}

  ask(request: Omit<PromptRequest, 'id'>, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<PromptAnswer> {
    const id = randomBytes(6).toString('hex');
    const full: PromptRequest = { ...request, id };
    return new Promise<PromptAnswer>((resolve) => {
      const timeout = setTimeout(() => settle({ accept: false }), options.timeoutMs ?? 10 * 60_000);
      const onAbort = () => settle({ accept: false });
      const settle = (answer: PromptAnswer) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timeout);
        options.signal?.removeEventListener('abort', onAbort);
        this.events.emit({ type: 'prompt.resolved', id });
        resolve(answer);
      };
      this.pending.set(id, { request: full, resolve: settle });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.events.emit({ type: 'prompt.request', request: full });
    });
  }

  answer(id: string, answer: PromptAnswer): void {
    const pending = this.pending.get(id);
    if (!pending) throw new FleetError('not-found', `No open question with id ${id}; it may have timed out.`);
    pending.resolve(answer);
  }

  list(): PromptRequest[] {
    return [...this.pending.values()].map((p) => p.request);
  }
}
