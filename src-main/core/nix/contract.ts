import { z } from 'zod';
import { job, query, type CommandSpec } from '../contract';
import type { BuildResult } from './build';
import type { FlakeCheckResult } from './flake-check';
import type { NixInfo } from './nix-info';
import type { BuildTarget } from './targets';

export type { BuildResult, TargetBuildResult } from './build';
export type { FlakeCheckResult } from './flake-check';
export type { NixInfo, NixFeatures, NixFlavour, NixInstallAdvice } from './nix-info';
export type { BuildTarget, TargetKind } from './targets';

const targetName = z
  .string()
  .min(1, 'a target name is required')
  .max(500, 'target name is longer than 500 characters')
  .refine((s) => !/[\0\n]/.test(s), 'target name contains a control character');

/** Commands of the nix domain: what nix is installed, builds, flake checks, opening errors in an editor. */
export const nixCommands = {
  'nix.info': query<NixInfo>()(
    'Whether nix is installed: version, flavour (nix, Lix, Determinate), features; how to install it when missing.',
    z.object({ refresh: z.boolean().optional() }).strict(),
  ),
  'build.targets': query<readonly BuildTarget[]>()(
    'Resolve target names ("moonlight", "home:soriphoono", ".#attr.path") to the flake attributes a build uses.',
    z.object({ targets: z.array(targetName).min(1, 'name at least one target') }).strict(),
    { coalesce: true },
  ),
  'build.start': job<BuildResult>()(
    'Build systems, homes and droids with live progress; the result holds each output path and closure size.',
    z
      .object({
        targets: z.array(targetName).min(1, 'name at least one target').max(200, 'at most 200 targets at once'),
        concurrency: z.number().int().min(1).max(64).optional(),
        keepGoing: z.boolean().optional(),
      })
      .strict(),
  ),
  'build.derivationLog': query<{ readonly drv: string; readonly lines: readonly string[]; readonly truncated: boolean }>()(
    "A derivation's whole build log (`nix log`), e.g. for a derivation that failed.",
    z
      .object({
        drv: z.string().regex(/^\/nix\/store\/[0-9a-z]{32}-[^/\s]+\.drv$/, 'must be a /nix/store/....drv path'),
      })
      .strict(),
  ),
  'flake.check': job<FlakeCheckResult>()('Run `nix flake check` on the open checkout.', z.object({}).strict()),
  'editor.open': query<{ readonly command: readonly string[] }>()(
    "Open a file of the checkout at a line in the person's editor (settings, $VISUAL, $EDITOR, or xdg-open).",
    z
      .object({
        file: z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte'),
        line: z.number().int().min(1).optional(),
        column: z.number().int().min(1).optional(),
      })
      .strict(),
  ),
} satisfies Record<string, CommandSpec>;
