import type { CommandSpec } from '../contract';

/** Commands of the git domain. */
export const gitCommands = {} satisfies Record<string, CommandSpec>;
