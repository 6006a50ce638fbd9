import type { JobInfo, JobProgress, LogLine } from './jobs/types';
import type { DomainEvent } from './domain-events';

/**
 * Every event the core emits, declared once. Bridges forward them as they are; the
 * renderer's stores apply them. Job events carry the job id so the UI can route them.
 */
export type FleetEvent =
  | { readonly type: 'job.created'; readonly job: JobInfo }
  | { readonly type: 'job.progress'; readonly jobId: string; readonly progress: JobProgress }
  | { readonly type: 'job.log'; readonly jobId: string; readonly lines: readonly LogLine[] }
  | { readonly type: 'job.status'; readonly job: JobInfo }
  | DomainEvent;

export type FleetEventType = FleetEvent['type'];

export type EventListener = (event: FleetEvent) => void;

/** A synchronous fan-out of core events. subscribe() returns its unsubscribe function. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: FleetEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A broken listener (a closed socket, a destroyed window) must not stop the others.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
