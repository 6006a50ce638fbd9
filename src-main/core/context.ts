import type { EventBus } from './events';
import type { Jobs } from './jobs/jobs';
import type { SettingsStore } from './settings/settings';
import type { Prompts } from './app/prompts';

/** Where the core runs; front ends differ in what they can show. */
export type CoreHost = 'desktop' | 'server' | 'cli';

/**
 * What every handler gets: the app's data folder, settings, jobs, events, prompts and
 * the checkout in use. Domains keep their long-lived state (watchers, device trackers,
 * SSH connection pools) in `services`, created lazily and disposed with the core.
 */
export interface CoreContext {
  readonly host: CoreHost;
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly settings: SettingsStore;
  readonly jobs: Jobs;
  readonly events: EventBus;
  readonly prompts: Prompts;
  /** The example homelab shipped with the app, if present. */
  readonly exampleHomelab?: string;
  /** The checkout commands act on; throws a FleetError naming what to do when none is open. */
  root(): string;
  /** The checkout in use, or undefined. */
  currentRoot(): string | undefined;
  /** A per-core singleton, created on first use; `dispose` runs when the core shuts down. */
  service<T>(key: string, create: () => T, dispose?: (value: T) => void | Promise<void>): T;
}
