import { buildToolchain } from './build.js';
import { checkToolchain } from './check.js';
import { parseSuite, SUITES, toolchainPaths, type Suite } from './suites.js';

/**
 * `npm run lab -- toolchain up|check|status`. `up` prints only the wrapper folder on stdout
 * (progress goes to stderr), so FLEET_NIX=$(npm run -s lab -- toolchain up sid) works.
 */

export const TOOLCHAIN_USAGE = `  toolchain up [trixie|sid]                make (once, cached) that suite's nix-bin + OpenSSH root filesystem
                                           and print its folder of wrappers (use it as FLEET_NIX)
  toolchain check [trixie|sid]             exit 0 when it is built and runs, else say what is missing
  toolchain status                         every toolchain: built?, versions, size, folder`;

const say = (line: string) => process.stderr.write(`toolchain: ${line}\n`);

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

/** Run one toolchain subcommand; returns the exit code. */
export async function toolchainCommand(args: readonly string[]): Promise<number> {
  const [verb, name] = args;
  switch (verb) {
    case 'up': {
      const suite = parseSuite(name);
      const manifest = await buildToolchain(suite, say);
      const check = await checkToolchain(suite);
      if (check.problems.length > 0) throw new Error(check.problems.join('\n'));
      say(`${suite}: Nix ${manifest.tools.nix}, OpenSSH ${manifest.tools.openssh}, ${megabytes(manifest.bytes)}, made in ${manifest.buildSeconds} s`);
      process.stdout.write(`${check.bin}\n`);
      return 0;
    }
    case 'check': {
      const check = await checkToolchain(parseSuite(name));
      if (check.problems.length > 0) {
        process.stdout.write(`${check.problems.join('\n')}\n`);
        return 1;
      }
      process.stdout.write(`${check.suite}: Nix ${check.tools?.nix}, OpenSSH ${check.tools?.openssh} in ${check.bin}\n`);
      return 0;
    }
    case 'status':
      for (const suite of Object.keys(SUITES) as Suite[]) await printStatus(suite);
      return 0;
    default:
      throw new Error(`unknown toolchain command "${verb ?? ''}"\n\n${TOOLCHAIN_USAGE}`);
  }
}

async function printStatus(suite: Suite): Promise<void> {
  const check = await checkToolchain(suite);
  if (check.manifest && check.problems.length === 0) {
    const m = check.manifest;
    process.stdout.write(`${suite.padEnd(7)} Nix ${check.tools?.nix ?? m.tools.nix}, OpenSSH ${check.tools?.openssh ?? m.tools.openssh}, ${megabytes(m.bytes)}, made ${m.builtAt} in ${m.buildSeconds} s: ${check.bin}\n`);
  } else {
    process.stdout.write(`${suite.padEnd(7)} ${check.problems[0] ?? 'not built'} (${toolchainPaths(suite).dir})\n`);
  }
}
