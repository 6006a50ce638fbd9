import type { CommandSpec } from '../contract';

/** Commands of the android domain. */
export const androidCommands = {} satisfies Record<string, CommandSpec>;
