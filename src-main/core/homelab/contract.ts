import { z } from 'zod';
import { query, type CommandSpec } from '../contract';
import { revisionInput } from '../git/contract';
import type { AddResult } from './add-configuration';
import type { AffectedReport } from './affected-types';
import type { Inventory, SystemItem } from './types';

/** A system name as it appears in systems/; checked again against the scan by the handler. */
const systemName = z.string().min(1, 'a system name is required').max(255, 'name is longer than 255 characters');

/** Layout root relative to the checkout: "" or "." for the checkout itself, or e.g. "nix". */
const layoutRootPath = z
  .string()
  .max(1024, 'path is longer than 1024 characters')
  .refine((p) => !p.includes('\0'), 'path contains a NUL byte')
  .refine((p) => !p.startsWith('/'), 'give the folder relative to the checkout, e.g. "nix"')
  .refine((p) => !p.split(/[\\/]/).includes('..'), 'the folder must be inside the checkout (no "..")');

/** meta.json `deploy` as the Settings/host screen edits it. */
export const deployTargetInput = z
  .object({
    host: z.string().min(1, 'host is required').max(255).optional(),
    user: z.string().min(1).max(64).optional(),
    port: z.number().int().min(1, 'port must be 1-65535').max(65535, 'port must be 1-65535').optional(),
    tags: z.array(z.string().min(1).max(64)).max(64).optional(),
    buildOnTarget: z.boolean().optional(),
    sudo: z.boolean().optional(),
  })
  .strict();

/** A new system, home or droid from the checkout's templates (names are checked again by the handler against the scan). */
export const addInput = z
  .object({
    kind: z.enum(['system', 'home', 'droid'], { message: 'kind must be system, home or droid' }),
    name: z.string().min(1, 'a name is required').max(255, 'name is longer than 255 characters'),
    template: z.string().min(1).max(255).optional(),
    system: z.string().min(1).max(64).optional(),
    deploy: z
      .object({
        host: z.string().min(1, 'host is required').max(255).optional(),
        user: z.string().min(1).max(64).optional(),
        port: z.number().int().min(1, 'port must be 1-65535').max(65535, 'port must be 1-65535').optional(),
        tags: z.array(z.string().min(1).max(64)).max(64).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** What inventory.add answers: what was written and the inventory that shows it. */
export interface AddAnswer extends AddResult {
  readonly inventory: Inventory;
}

export const homelabCommands = {
  'inventory.get': query<Inventory>()(
    'The inventory of the open checkout: the directory scan at once; the flake evaluation fills in later (inventory.changed).',
    z.object({ rescan: z.boolean().optional() }).strict(),
  ),
  'inventory.evaluate': query<Inventory>()(
    "Evaluate the flake's configuration names now and answer with the reconciled inventory.",
    z.object({ timeoutSeconds: z.number().int().min(1).max(3600).optional() }).strict(),
  ),
  'inventory.setDeployTarget': query<SystemItem>()(
    "Set (or with deploy: null, remove) a system's deploy target in its meta.json, keeping the file's other keys.",
    z.object({ system: systemName, deploy: deployTargetInput.nullable() }).strict(),
  ),
  'inventory.setLayoutRoot': query<Inventory>()(
    'Set the folder holding systems/ and homes/ for this checkout (null: detect it again).',
    z.object({ layoutRoot: layoutRootPath.nullable() }).strict(),
  ),
  'changes.affected': query<AffectedReport>()(
    'Which systems, homes and droids the changes since `base` (default HEAD) can touch, with a reason each; `confirm` evaluates old and new derivations.',
    z.object({ base: revisionInput.optional(), confirm: z.boolean().optional() }).strict(),
    { coalesce: true },
  ),
  'inventory.add': query<AddAnswer>()(
    "Add a system, home or droid from the checkout's templates: files, meta.json, git add, checked against the flake; nothing stays when a step fails.",
    addInput,
  ),
} satisfies Record<string, CommandSpec>;
