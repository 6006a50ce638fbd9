import type { CommandSpec } from '../contract';

/** Commands of the deploy domain. */
export const deployCommands = {} satisfies Record<string, CommandSpec>;
