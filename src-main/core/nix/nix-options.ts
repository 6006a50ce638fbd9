import { FleetError } from '../contract';

/** One `--option name value` pair passed to every nix command. */
export interface NixOption {
  readonly name: string;
  readonly value: string;
}

/**
 * Extra nix options for this machine, from FLEET_NIX_OPTIONS. A normal nix.conf needs
 * none; a machine without a network (no substituters) or one that builds another
 * platform's droid (extra-platforms = aarch64-linux) does. Two forms are accepted:
 *   FLEET_NIX_OPTIONS='{"substituters": "", "extra-platforms": "aarch64-linux"}'
 *   FLEET_NIX_OPTIONS='substituters=; extra-platforms=aarch64-linux'   (";" or newline separated)
 */
export function nixOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): readonly NixOption[] {
  const raw = env.FLEET_NIX_OPTIONS?.trim();
  if (!raw) return [];
  return parseNixOptions(raw);
}

/**
 * Nix options for building a droid here: its activation package is aarch64-linux, which this
 * machine builds only with extra-platforms (binfmt emulation or a native aarch64). An option
 * already set (FLEET_NIX_OPTIONS) wins.
 */
export function droidBuildOptions(base: readonly NixOption[]): readonly NixOption[] {
  return base.some((o) => o.name === 'extra-platforms') ? base : [...base, { name: 'extra-platforms', value: 'aarch64-linux' }];
}

/** Parse the FLEET_NIX_OPTIONS text (JSON object or `name=value; ...`). */
export function parseNixOptions(raw: string): readonly NixOption[] {
  const text = raw.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new FleetError('invalid-input', `FLEET_NIX_OPTIONS is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new FleetError('invalid-input', 'FLEET_NIX_OPTIONS must be a JSON object of option names to values.');
    }
    return Object.entries(parsed as Record<string, unknown>).map(([name, value]) => checked(name, optionValue(name, value)));
  }
  const options: NixOption[] = [];
  for (const part of text.split(/[;\n]/)) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new FleetError('invalid-input', `FLEET_NIX_OPTIONS: "${item}" is not name=value.`, {
        hint: 'Example: FLEET_NIX_OPTIONS="substituters=; extra-platforms=aarch64-linux"',
      });
    }
    options.push(checked(item.slice(0, eq).trim(), item.slice(eq + 1).trim()));
  }
  return options;
}

/** The command-line words for a list of options. */
export function nixOptionArgs(options: readonly NixOption[]): string[] {
  return options.flatMap((o) => ['--option', o.name, o.value]);
}

function optionValue(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ');
  throw new FleetError('invalid-input', `FLEET_NIX_OPTIONS: the value of ${name} must be a string, number, boolean or list of strings.`);
}

function checked(name: string, value: string): NixOption {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new FleetError('invalid-input', `FLEET_NIX_OPTIONS: "${name}" is not a nix option name.`);
  }
  return { name, value };
}
