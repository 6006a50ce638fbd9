import { z } from 'zod';
import { query } from '../contract';
import { buildHostReason } from '../homelab/names';
import type { JobInfo } from '../jobs/types';
import type { Settings } from '../settings/settings';

/** The checkout the app has open, as the header shows it. */
export interface CheckoutSummary {
  readonly root: string;
  readonly name: string;
  readonly isGit: boolean;
  readonly hasFlake: boolean;
  readonly branch?: string;
  readonly detached?: boolean;
  readonly head?: string;
  readonly dirty: boolean;
  readonly changedFiles: number;
  readonly ahead?: number;
  readonly behind?: number;
  /** Things the user should know, e.g. "not a git repository: nix only sees tracked files". */
  readonly problems: readonly string[];
}

export interface AppInfo {
  readonly version: string;
  readonly dataDir: string;
  readonly platform: string;
  /** Where the core runs: 'desktop' (Electron utility process), 'server' or 'cli'. */
  readonly host: 'desktop' | 'server' | 'cli';
  readonly settingsProblem?: string;
  /** The example homelab shipped with the app, offered on first run. */
  readonly exampleHomelab?: string;
}

/** A question a job asks the person: accept a host key, give a sudo password... */
export interface PromptRequest {
  readonly id: string;
  readonly jobId?: string;
  readonly kind: 'host-key' | 'secret' | 'confirm';
  readonly title: string;
  readonly message: string;
  /** For host keys: SHA256 fingerprint, for display. */
  readonly fingerprint?: string;
  /** What the secret is for, e.g. "sudo password for deploy@moonlight". Never the value. */
  readonly secretLabel?: string;
  /**
   * A confirm that destroys something names it here (e.g. the disk /dev/sda): the person
   * types it to confirm, as disk tools ask, and the core checks what was typed (`value`).
   */
  readonly confirmText?: string;
}

const absoluteOrRelativePath = z
  .string()
  .min(1, 'a path is required')
  .max(4096, 'path is longer than 4096 characters')
  .refine((p) => !p.includes('\0'), 'path contains a NUL byte');

/** An editor command as argument words, e.g. ["code", "--goto", "{file}:{line}"]; run without a shell. */
export const editorCommand = z
  .array(
    z
      .string()
      .min(1, 'an empty word')
      .max(1024, 'a word is longer than 1024 characters')
      .refine((w) => !/[\0\n\r]/.test(w), 'a word holds a NUL or line break'),
  )
  .min(1, 'name the editor program')
  .max(32, 'at most 32 words');

export const appCommands = {
  'app.info': query<AppInfo>()('Facts about this installation.', z.object({}).strict()),
  'settings.get': query<Settings>()('The app settings.', z.object({}).strict()),
  'settings.update': query<Settings>()(
    'Change settings; fields left out keep their value.',
    z
      .object({
        theme: z.enum(['system', 'light', 'dark']).optional(),
        buildConcurrency: z.number().int().min(1).max(64).optional(),
        deploy: z
          .object({
            parallel: z.number().int().min(1).max(64).optional(),
            confirmTimeoutSeconds: z.number().int().min(5).max(600).optional(),
            magicRollback: z.boolean().optional(),
            substituteOnTarget: z.boolean().optional(),
            /** null: build here again (or on each system's own meta.json build host). */
            buildHost: z
              .string()
              .max(300)
              .refine((s) => buildHostReason(s) === undefined, 'a build host is an ssh alias, a host name or user@host')
              .nullable()
              .optional(),
          })
          .strict()
          .optional(),
        jobRetention: z
          .object({
            days: z.number().int().min(1).max(3650).optional(),
            maxMegabytes: z.number().int().min(10).max(100_000).optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
  ),
  'settings.setEditor': query<Settings>()(
    'Choose the editor that opens files at a line (null: $VISUAL, $EDITOR, or the desktop opener). Desktop window and CLI only.',
    z.object({ editor: editorCommand.nullable() }).strict(),
    { personOnly: true },
  ),
  'checkout.open': query<CheckoutSummary>()(
    'Open a homelab checkout (a folder holding flake.nix) and remember it.',
    z.object({ path: absoluteOrRelativePath }).strict(),
    { changesCheckout: true },
  ),
  'checkout.current': query<CheckoutSummary | null>()('The open checkout, refreshed.', z.object({}).strict()),
  'checkout.forget': query<Settings>()(
    'Remove a checkout from the recent list.',
    z.object({ path: absoluteOrRelativePath }).strict(),
  ),
  'jobs.list': query<readonly JobInfo[]>()(
    'Running and past jobs, newest first.',
    z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(),
  ),
  'jobs.get': query<JobInfo>()('One job.', z.object({ jobId: z.string().min(1) }).strict()),
  'jobs.cancel': query<{ readonly cancelled: boolean }>()(
    'Cancel a running job; its processes are killed.',
    z.object({ jobId: z.string().min(1) }).strict(),
  ),
  'jobs.log': query<{ readonly lines: readonly string[]; readonly total: number }>()(
    "Read a job's log file.",
    z
      .object({
        jobId: z.string().min(1),
        from: z.number().int().min(0).optional(),
        max: z.number().int().min(1).max(200_000).optional(),
      })
      .strict(),
  ),
  'prompts.pending': query<readonly PromptRequest[]>()('Questions waiting for an answer.', z.object({}).strict()),
  'prompts.answer': query<{ readonly accepted: boolean }>()(
    'Answer a question a job asked. `value` carries a secret and is never logged.',
    z
      .object({
        id: z.string().min(1),
        accept: z.boolean(),
        value: z.string().max(4096).optional(),
      })
      .strict(),
  ),
};
