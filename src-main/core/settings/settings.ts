import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { buildHostReason } from '../homelab/names';
import { removeStaleTempFiles, writeFileAtomic } from './atomic-file';

/** The app's settings file, validated when read: a hand-edited or foreign file never crashes the app. */
export const settingsSchema = z.object({
  version: z.literal(1).default(1),
  /** Checkouts opened before, most recent first. */
  recent: z.array(z.string()).default([]),
  /** The checkout the app shows. */
  current: z.string().optional(),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  /** Per checkout: the folder holding systems/, homes/... when it is not auto-detected. */
  layoutRoots: z.record(z.string(), z.string()).default({}),
  /** How many nix builds run at once. */
  buildConcurrency: z.number().int().min(1).max(64).default(2),
  /** Deploy defaults; per-run options override them. */
  deploy: z
    .object({
      parallel: z.number().int().min(1).max(64).default(4),
      confirmTimeoutSeconds: z.number().int().min(5).max(600).default(30),
      magicRollback: z.boolean().default(true),
      substituteOnTarget: z.boolean().default(false),
      /** Build systems on this host ("user@host" or an ssh alias) unless their meta.json says otherwise. */
      buildHost: z
        .string()
        .max(300)
        .refine((s) => buildHostReason(s) === undefined, 'a build host is an ssh alias, a host name or user@host')
        .optional(),
    })
    .prefault({}),
  /** Per checkout: its binary cache (a store URL and the secret key that signs what is pushed there). */
  binaryCaches: z.record(z.string(), z.object({ url: z.string().min(1).max(2000), secretKeyFile: z.string().min(1).max(4096) })).default({}),
  /** Command used to open a file at a line, e.g. ["code", "--goto", "{file}:{line}"]. */
  editor: z.array(z.string().max(1024)).max(32).optional(),
  /** How much job history (logs and the job list) the data folder keeps; the oldest goes first. */
  jobRetention: z
    .object({
      days: z.number().int().min(1).max(3650).default(30),
      maxMegabytes: z.number().int().min(10).max(100_000).default(512),
    })
    .prefault({}),
  /** Serial of an Android device -> droid configuration name. */
  droidLinks: z.record(z.string(), z.string()).default({}),
});

export type Settings = z.infer<typeof settingsSchema>;

export const maxRecent = 10;

/**
 * Settings kept in one JSON file in the app's data folder, written atomically. A file
 * that cannot be parsed is kept aside as settings.json.broken-<time> and defaults are used,
 * so a bad edit never loses the user's history silently.
 */
export class SettingsStore {
  private value: Settings;
  readonly file: string;
  /** What is wrong with the settings file (unreadable, unwritable), for app.info; undefined when all is well. */
  problem?: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
    removeStaleTempFiles(this.file);
    const loaded = loadSettings(this.file);
    this.value = loaded.settings;
    this.problem = loaded.problem;
  }

  get(): Settings {
    return this.value;
  }

  /** Apply a change and persist it. */
  update(change: (current: Settings) => Settings): Settings {
    const next = settingsSchema.parse(change(this.value));
    this.value = next;
    try {
      writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n');
    } catch (error) {
      // The app keeps working on the settings in memory (serve must not exit over EISDIR); the problem is reported.
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EISDIR' ? 'it is a folder' : code ?? (error as Error).message;
      this.problem = `Settings cannot be saved to ${this.file} (${why}); changes last until the app stops. Move it aside to fix this.`;
    }
    return next;
  }

  /** Make `root` the current checkout and put it first in the recent list. */
  openCheckout(root: string): Settings {
    return this.update((s) => ({
      ...s,
      current: root,
      recent: [root, ...s.recent.filter((r) => r !== root)].slice(0, maxRecent),
    }));
  }

  forgetCheckout(root: string): Settings {
    return this.update((s) => ({
      ...s,
      recent: s.recent.filter((r) => r !== root),
      ...(s.current === root ? { current: undefined } : {}),
    }));
  }
}

function loadSettings(file: string): { settings: Settings; problem?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { settings: settingsSchema.parse({}) };
    const why = code === 'EISDIR' ? 'it is a folder, not a file' : code ?? (error as Error).message;
    return { settings: settingsSchema.parse({}), problem: `Settings file ${file} cannot be read (${why}); defaults are used and changes are not saved.` };
  }
  let problem: string;
  try {
    const parsed = settingsSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { settings: parsed.data };
    problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  } catch (error) {
    problem = `not valid JSON (${(error as Error).message})`;
  }
  const aside = `${file}.broken-${Date.now()}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    // keep going with defaults
  }
  return {
    settings: settingsSchema.parse({}),
    problem: `Settings file ${file} was unreadable (${problem}); it was kept as ${aside} and defaults are used.`,
  };
}
