import { z } from 'zod';
import { job, type CommandSpec } from '../contract';
import { revisionInput } from '../git/contract';
import type { ClosureDiffReport } from './report';

const storePath = z.string().regex(/^\/nix\/store\/[0-9a-z]{32}-[^/\0]+$/, 'a /nix/store/<hash>-<name> path is required');

/** Commands of the closure domain: what a machine's closure would gain and lose. */
export const closureCommands = {
  'closure.diff': job<ClosureDiffReport>()(
    "Closure diff like nvd: a machine's working-tree build against its running host (over SSH; a home as `home:<config>@<host>`, optionally `asUser`; a droid on its phone over adb, optionally `serial`, `identityFile`) or against revision `base`; or two store paths `from`/`to`.",
    z
      .object({
        machine: z.string().min(1).max(300).optional(),
        base: revisionInput.optional(),
        from: storePath.optional(),
        to: storePath.optional(),
        hostPath: z.string().regex(/^\/[^\0]*$/, 'an absolute path on the host').max(4096).optional(),
        asUser: z.string().regex(/^[a-z_][a-z0-9_.-]*$/i, 'a login name').max(64).optional(),
        serial: z.string().min(1).max(200).optional(),
        identityFile: z.string().regex(/^\/[^\0]*$/, 'an absolute path to a private key').max(4096).optional(),
      })
      .strict(),
  ),
} satisfies Record<string, CommandSpec>;
