import { Command, CommanderError } from 'commander';
import pkg from '../../package.json';
import { printError } from './output';
import { registerServe } from './commands/serve';
import { registerJobs } from './commands/jobs';
import { registerDroid } from './commands/droid';
import { registerAffected } from './commands/affected';
import { registerDiff } from './commands/diff';
import { registerBuild } from './commands/build';
import { registerCheck } from './commands/check';
import { registerInventory } from './commands/inventory';
import { registerAdd } from './commands/add';
import { registerHardware } from './commands/hardware';
import { registerInstall } from './commands/install';
import { registerDeploy } from './commands/deploy';
import { registerRollback } from './commands/rollback';
import { registerReboot } from './commands/reboot';
import { registerStatus } from './commands/status';
import { registerSettings } from './commands/settings';
import { registerCache } from './commands/cache';

/**
 * `fleet`: the command line on the same core as the app. Every subcommand acts on the
 * homelab in the current directory (or the nearest parent holding flake.nix), or on
 * --flake PATH.
 */
export function buildProgram(): Command {
  const program = new Command('fleet')
    .description('Inspect, build and deploy a Nix homelab: NixOS hosts, Home Manager homes, Nix-on-Droid phones.')
    .version(pkg.version)
    .option('--flake <path>', 'the homelab checkout (default: the current directory or its nearest parent with flake.nix)')
    .showHelpAfterError()
    .exitOverride();
  // In the order a user works: look, build, see what changed, deploy, watch; then the rest.
  registerInventory(program);
  registerAdd(program);
  registerHardware(program);
  registerInstall(program);
  registerBuild(program);
  registerCheck(program);
  registerDiff(program);
  registerAffected(program);
  registerDeploy(program);
  registerRollback(program);
  registerReboot(program);
  registerStatus(program);
  registerDroid(program);
  registerJobs(program);
  registerServe(program);
  registerSettings(program);
  registerCache(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    printError(error);
    return 1;
  }
}
