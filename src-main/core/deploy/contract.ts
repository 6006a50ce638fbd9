import { z } from 'zod';
import { job, query, type CommandSpec } from '../contract';
import type { DeployRecord, DeployResult, DeployTargetSpec, Generation, HostStatus } from './types';

export type { DeployRecord, DeployResult, DeployTargetSpec, Generation, HostStatus, TargetOutcome, DeployMode, DeployStage } from './types';

const selector = z
  .string()
  .min(1, 'a target is required')
  .max(300, 'a target is longer than 300 characters')
  .refine((s) => !s.startsWith('-'), 'a target cannot start with "-"')
  .refine((s) => !/[\s\0]/.test(s), 'a target cannot contain whitespace');

const mode = z.enum(['switch', 'boot', 'test', 'dry-activate']);
const loginName = z.string().regex(/^[A-Za-z_][A-Za-z0-9._-]*$/, 'not a valid login name').max(64);

/** What the confirmation sheet shows before a deploy: the targets and which hosts answer. */
export interface DeployPreview {
  readonly targets: readonly DeployTargetSpec[];
  readonly hosts: readonly HostStatus[];
}

export const deployCommands = {
  'deploy.start': job<DeployResult>()(
    'Deploy NixOS systems (and homes) to their hosts: pre-flight all, build, copy the closures, activate, confirm (magic rollback).',
    z
      .object({
        targets: z.array(selector).min(1, 'name at least one target: a system, @tag, all, or home:<user>@<host>'),
        mode: mode.optional(),
        parallel: z.number().int().min(1).max(64).optional(),
        keepGoing: z.boolean().optional(),
        canary: z.boolean().optional(),
        magicRollback: z.boolean().optional(),
        confirmTimeoutSeconds: z.number().int().min(2, 'at least 2 seconds').max(600, 'at most 600 seconds').optional(),
        substituteOnTarget: z.boolean().optional(),
        /** Do not run the systems' health checks (meta.json deploy.checks) after the switch. */
        skipChecks: z.boolean().optional(),
        /** For home targets: log in as this user instead of the home's own name. */
        asUser: loginName.optional(),
      })
      .strict(),
  ),
  'deploy.preflight': query<DeployPreview>()(
    'Resolve targets and check their hosts (reachable, current generation, lock) without changing anything.',
    z.object({ targets: z.array(selector).min(1), asUser: loginName.optional() }).strict(),
  ),
  'deploy.rollback': job<DeployResult>()(
    'Switch a host back to an earlier generation of its profile (default: the one before the current).',
    z
      .object({
        target: selector,
        generation: z.number().int().min(1).optional(),
        confirmTimeoutSeconds: z.number().int().min(2).max(600).optional(),
        magicRollback: z.boolean().optional(),
      })
      .strict(),
  ),
  'deploy.history': query<readonly DeployRecord[]>()(
    'Past and running deploys, newest first; a deploy cut short by a crash is "interrupted".',
    z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(),
  ),
  'deploy.get': query<DeployRecord>()('One deploy, by its id or its job id.', z.object({ id: z.string().min(1).max(200) }).strict()),
  'deploy.status': query<readonly HostStatus[]>()(
    'Every host (or those named): online, current generation, configurationRevision, out of date against the checkout, last deploy.',
    z.object({ targets: z.array(selector).optional(), evaluate: z.boolean().optional() }).strict(),
  ),
  'deploy.generations': query<readonly Generation[]>()(
    "The generations of a host's system profile (or a home's profile), newest first.",
    z.object({ target: selector }).strict(),
  ),
} satisfies Record<string, CommandSpec>;
