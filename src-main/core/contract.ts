import { z } from 'zod';

/**
 * Building blocks of the contract in api.ts. A command is declared once: its zod input
 * schema and (as a phantom type) its result. `query` commands answer directly; `job`
 * commands start long work and answer with the job's id at once, the job's result arrives
 * later in its `job.finished` event.
 */
export type CommandKind = 'query' | 'job';

/** How a command may be called, beyond its input: read by the core and by each bridge. */
export interface CommandTraits {
  /**
   * Only where a person is at the keyboard: the desktop window (Electron IPC) and the CLI.
   * The WebSocket bridge of `fleet serve` refuses it, whatever the page sends: it chooses
   * programs the app starts on its own (the editor), which a page must never set.
   */
  readonly personOnly?: boolean;
  /** It changes the checkout other commands act on: commands sent after it wait until it is done. */
  readonly changesCheckout?: boolean;
  /**
   * An expensive read (nix evaluations): identical calls (same input, same checkout) made
   * while one runs share its answer, so a flood of requests starts one evaluation.
   */
  readonly coalesce?: boolean;
}

export interface CommandSpec<I extends z.ZodType = z.ZodType, R = unknown, K extends CommandKind = CommandKind> extends CommandTraits {
  readonly kind: K;
  readonly input: I;
  readonly summary: string;
  /** Phantom: never set at run time, carries the result type. */
  readonly __result?: R;
}

/** A command that answers directly with R. */
export function query<R>() {
  return <I extends z.ZodType>(summary: string, input: I, traits: CommandTraits = {}): CommandSpec<I, R, 'query'> => ({ kind: 'query', input, summary, ...traits });
}

/** A command that starts a job; the caller gets {jobId} and the job finishes with R. */
export function job<R>() {
  return <I extends z.ZodType>(summary: string, input: I): CommandSpec<I, R, 'job'> => ({ kind: 'job', input, summary });
}

/** What a job command answers at once. */
export interface JobStarted {
  readonly jobId: string;
}

import { FleetError, type WireError } from '../shared/fleet-error';

export { FleetError, type WireError, type WireReply } from '../shared/fleet-error';

/** Turn anything thrown into the wire shape, never leaking a stack. */
export function toWireError(error: unknown): WireError {
  if (error instanceof FleetError) return error.toWire();
  if (error instanceof Error) return { code: 'failed', message: error.message };
  return { code: 'failed', message: String(error) };
}

/** Format zod issues as "field: problem" lines naming where the input is wrong. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): { path: string; message: string }[] {
  return issues.map((issue) => ({
    path: issue.path.length === 0 ? '(input)' : issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** Exhaustiveness check for switches over unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}
