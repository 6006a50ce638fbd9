import type { CommandSpec } from '../contract';

/** Commands of the nix domain. */
export const nixCommands = {} satisfies Record<string, CommandSpec>;
