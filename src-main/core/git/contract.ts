import { z } from 'zod';
import { query, type CommandSpec } from '../contract';
import type { AffectedReport, RepoState } from './types';

/** A git revision as a user types it: a hash, a branch, a tag, HEAD~2. Never an option. */
export const revisionInput = z
  .string()
  .min(1, 'a revision is required')
  .max(255, 'revision is longer than 255 characters')
  .refine((r) => !r.startsWith('-'), 'a revision cannot start with "-"')
  .refine((r) => !/[\s\0]/.test(r), 'a revision has no spaces');

/** Commands of the git domain: changes of the checkout, affected machines, diffs, git actions. */
export const gitCommands = {
  'git.status': query<RepoState>()('Branch, ahead/behind, dirty, shallow, conflicts of the checkout.', z.object({}).strict()),
  'changes.affected': query<AffectedReport>()(
    'Which systems, homes and droids the changes since `base` (default HEAD) can touch, with a reason each; `confirm` evaluates old and new derivations.',
    z.object({ base: revisionInput.optional(), confirm: z.boolean().optional() }).strict(),
  ),
} satisfies Record<string, CommandSpec>;
