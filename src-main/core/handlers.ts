import type { z } from 'zod';
import type { CommandSpec } from './contract';
import type { JobContext, JobSpec } from './jobs/jobs';

/** What a job command's handler returns: the job to start. Validation happens before. */
export interface JobPlan<R> {
  readonly spec: JobSpec;
  readonly run: (ctx: JobContext) => Promise<R>;
}

/** The handler type each command of a domain's contract must have. */
export type HandlersFor<C extends Record<string, CommandSpec>> = {
  readonly [K in keyof C]: C[K] extends CommandSpec<infer I, infer R, 'job'>
    ? (input: z.output<I>) => JobPlan<R> | Promise<JobPlan<R>>
    : C[K] extends CommandSpec<infer I, infer R, 'query'>
      ? (input: z.output<I>) => R | Promise<R>
      : never;
};
