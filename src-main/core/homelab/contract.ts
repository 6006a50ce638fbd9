import type { CommandSpec } from '../contract';

/** Commands of the homelab domain. */
export const homelabCommands = {} satisfies Record<string, CommandSpec>;
