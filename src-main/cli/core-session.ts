import type { Command } from 'commander';
import { createCore, type FleetCore } from '../core/core';
import { openDataDir } from '../core/app/data-dir';
import type { CommandInput, CommandName, CommandResult } from '../core/api';
import { resolveCheckoutRoot } from './checkout-root';

export interface GlobalOptions {
  readonly flake?: string;
}

/** A core for one CLI invocation, bound to the checkout the user named (or is in). */
export interface CliSession {
  readonly core: FleetCore;
  readonly root: string;
  call<N extends CommandName>(name: N, input: CommandInput<N>): Promise<CommandResult<N>>;
  close(): Promise<void>;
}

export function openSession(options: GlobalOptions): CliSession {
  const root = resolveCheckoutRoot(options.flake);
  const core = createCore({ host: 'cli', dataDir: openDataDir().dataDir, root });
  return {
    core,
    root,
    call: async (name, input) => (await core.invoke(name, input)) as never,
    close: () => core.dispose(),
  };
}

/**
 * Run one subcommand's work with a session on the checkout its global options name (--flake,
 * else the working folder), closing the session however the work ends.
 */
export async function withSession<T>(command: Command, work: (session: CliSession) => Promise<T>): Promise<T> {
  const session = openSession(command.optsWithGlobals<GlobalOptions>());
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
