import { InvalidArgumentError, type Command } from 'commander';
import type { AddAnswer } from '../../core/homelab/contract';
import { openSession, type GlobalOptions } from '../core-session';
import { printJson } from '../output';

interface AddOptions {
  readonly template?: string;
  readonly system?: string;
  readonly host?: string;
  readonly user?: string;
  readonly port?: number;
  readonly tags?: string[];
  readonly json?: boolean;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('a port is a whole number from 1 to 65535');
  return port;
}

function parseTags(value: string): string[] {
  return value.split(',').map((t) => t.trim()).filter(Boolean);
}

/** What was added, as a person reads it. */
function report(answer: AddAnswer): string {
  let out = `added ${answer.kind} ${answer.name} from templates/${answer.template}: ${answer.path}\n`;
  for (const file of answer.files) out += `  ${file}\n`;
  out += answer.gitAdded ? 'added to git\'s index (commit when ready)\n' : 'not a git repository: the files are not tracked\n';
  out +=
    answer.flake.state === 'checked'
      ? `the flake evaluates ${answer.flake.attribute}: ${answer.flake.drvPath}\n`
      : `not checked against the flake: ${answer.flake.reason}\n`;
  return out;
}

/** `fleet add system|home|droid NAME`: a new configuration from the checkout's templates. */
export function registerAdd(program: Command): void {
  const add = program.command('add').description("add a system, home or droid from the homelab's templates/ (files, meta.json, git add, checked against the flake)");
  const run = async (kind: 'system' | 'home' | 'droid', name: string, opts: AddOptions, command: Command): Promise<void> => {
    const session = openSession(command.optsWithGlobals<GlobalOptions>());
    try {
      const deploy = kind === 'system' && (opts.host ?? opts.user ?? opts.port ?? opts.tags) !== undefined
        ? {
            ...(opts.host !== undefined ? { host: opts.host } : {}),
            ...(opts.user !== undefined ? { user: opts.user } : {}),
            ...(opts.port !== undefined ? { port: opts.port } : {}),
            ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
          }
        : undefined;
      const answer = await session.call('inventory.add', {
        kind,
        name,
        ...(opts.template !== undefined ? { template: opts.template } : {}),
        ...(opts.system !== undefined ? { system: opts.system } : {}),
        ...(deploy ? { deploy } : {}),
      });
      if (opts.json) {
        const { inventory: _inventory, ...rest } = answer;
        return printJson(rest);
      }
      process.stdout.write(report(answer));
    } finally {
      await session.close();
    }
  };
  add
    .command('system <name>')
    .description('a new NixOS host: systems/<name>/ from a template, meta.json with its system and deploy target')
    .option('--template <name>', 'the template folder in templates/ (default: the one holding systems/)')
    .option('--system <system>', 'nix system, e.g. x86_64-linux or aarch64-linux')
    .option('--host <host>', 'deploy target: ssh host, alias or address (default: the name)')
    .option('--user <user>', 'deploy target: ssh user')
    .option('--port <port>', 'deploy target: ssh port', parsePort)
    .option('--tags <a,b>', 'deploy tags, comma separated', parseTags)
    .option('--json', 'print JSON')
    .action((name: string, opts: AddOptions, command: Command) => run('system', name, opts, command));
  add
    .command('home <user>')
    .description('a new Home Manager home: homes/<user>, or homes/<user>@<host> (overrides for one system), @global or @droid')
    .option('--template <name>', 'the template folder in templates/ (default: the one holding homes/)')
    .option('--system <system>', 'nix system of a standalone home, e.g. x86_64-linux')
    .option('--json', 'print JSON')
    .action((name: string, opts: AddOptions, command: Command) => run('home', name, opts, command));
  add
    .command('droid <name>')
    .description('a new Nix-on-Droid phone: droids/<name>/ from a template (aarch64-linux unless --system)')
    .option('--template <name>', 'the template folder in templates/ (default: the one holding droids/)')
    .option('--system <system>', 'nix system, e.g. aarch64-linux')
    .option('--json', 'print JSON')
    .action((name: string, opts: AddOptions, command: Command) => run('droid', name, opts, command));
}
