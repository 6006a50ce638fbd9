import { z } from 'zod';
import { job, query, type CommandSpec } from '../contract';
import type { CommitResult } from './actions';
import type { FileDiff, WorkingChanges } from './file-diff';
import type { LockDiff } from './lock-diff';
import type { RepoState } from './types';

/** A git revision as a user types it: a hash, a branch, a tag, HEAD~2. Never an option. */
export const revisionInput = z
  .string()
  .min(1, 'a revision is required')
  .max(255, 'revision is longer than 255 characters')
  .refine((r) => !r.startsWith('-'), 'a revision cannot start with "-"')
  .refine((r) => !/[\s\0]/.test(r), 'a revision has no spaces');

const checkoutPath = z
  .string()
  .min(1, 'a path is required')
  .max(4096)
  .refine((p) => !p.startsWith('/') && !p.startsWith('-') && !p.split('/').includes('..') && !p.includes('\0'), 'give a path inside the checkout, relative to it');

/** Commands of the git domain: changes of the checkout, diffs, flake.lock, git actions. */
export const gitCommands = {
  'git.status': query<RepoState>()('Branch, ahead/behind, dirty, shallow, conflicts of the checkout.', z.object({}).strict()),
  'git.changes': query<WorkingChanges>()('Staged, unstaged and untracked files of the checkout, with line counts.', z.object({}).strict()),
  'git.diff': query<FileDiff>()(
    "One file's patch: against HEAD, only the staged part, or against `base`.",
    z.object({ path: checkoutPath, staged: z.boolean().optional(), base: revisionInput.optional() }).strict(),
  ),
  'git.commit': query<CommitResult>()(
    'Commit the changes (all of them, or `paths`) with a message.',
    z.object({ message: z.string().trim().min(1, 'a commit message is required').max(10_000), paths: z.array(checkoutPath).max(10_000).optional() }).strict(),
  ),
  'git.stash': query<{ readonly stash: string }>()(
    'Put every change (and new files) aside with git stash.',
    z.object({ message: z.string().max(1000).optional() }).strict(),
  ),
  'git.deployWarnings': query<readonly string[]>()('What to warn about before deploying this checkout (dirty tree, conflicts...).', z.object({}).strict()),
  'flake.lockDiff': query<LockDiff>()(
    "flake.lock's inputs that differ between `base` (default HEAD) and the working tree.",
    z.object({ base: revisionInput.optional() }).strict(),
  ),
  'flake.update': job<LockDiff>()(
    "Update the flake's inputs (all, or `inputs`) and answer the flake.lock diff; nothing is committed.",
    z.object({ inputs: z.array(z.string().min(1).max(200)).max(200).optional() }).strict(),
  ),
} satisfies Record<string, CommandSpec>;
