import { FleetError } from '../contract';
import { runNix, type NixRunOptions } from '../nix/runner';
import type { MachineKind } from './affected-types';

/** Derivation paths of every machine of a flake, by "<kind>:<name>", or why one failed. */
export interface MachineDerivations {
  readonly drvPaths: ReadonlyMap<string, string>;
  readonly errors: ReadonlyMap<string, string>;
}

// The flake comes in through the environment, so no data is spliced into nix code.
// tryEval keeps one broken machine from hiding the others where nix lets it (throw/assert).
const allMachinesExpr = `
let
  flake = builtins.getFlake ("path:" + builtins.getEnv "FLEET_SNAPSHOT");
  pick = attrs: f: builtins.mapAttrs (name: value:
    let r = builtins.tryEval (f value); in if r.success then r.value else null) attrs;
in {
  system = pick (flake.nixosConfigurations or { }) (c: c.config.system.build.toplevel.drvPath);
  home = pick (flake.homeConfigurations or { }) (c: c.activationPackage.drvPath);
  droid = pick (flake.nixOnDroidConfigurations or { }) (c: c.activationPackage.drvPath);
}`;

const attrOf: Record<MachineKind, (name: string) => string> = {
  system: (n) => `nixosConfigurations.${JSON.stringify(n)}.config.system.build.toplevel.drvPath`,
  home: (n) => `homeConfigurations.${JSON.stringify(n)}.activationPackage.drvPath`,
  droid: (n) => `nixOnDroidConfigurations.${JSON.stringify(n)}.activationPackage.drvPath`,
};

/**
 * Evaluate the toplevel / activation derivation path of every machine of the flake in
 * `dir` (a snapshot without git metadata) in one nix process. When that fails (an error
 * tryEval cannot catch), the machines in `fallback` are evaluated one by one so the
 * failure is pinned to the machine that has it.
 */
export async function evaluateMachineDerivations(
  dir: string,
  fallback: readonly { readonly kind: MachineKind; readonly name: string }[],
  options: NixRunOptions = {},
): Promise<MachineDerivations> {
  const env = { ...(options.env ?? process.env), FLEET_SNAPSHOT: dir };
  const result = await runNix(['eval', '--json', '--impure', '--no-write-lock-file', '--expr', allMachinesExpr], { ...options, env, cwd: dir });
  const drvPaths = new Map<string, string>();
  const errors = new Map<string, string>();
  if (result.code === 0) {
    const parsed = JSON.parse(result.stdout) as Record<MachineKind, Record<string, string | null>>;
    for (const kind of ['system', 'home', 'droid'] as const) {
      for (const [name, drv] of Object.entries(parsed[kind] ?? {})) {
        if (typeof drv === 'string') drvPaths.set(`${kind}:${name}`, drv);
        else errors.set(`${kind}:${name}`, 'evaluation failed (throw or assert)');
      }
    }
    return { drvPaths, errors };
  }
  if (options.signal?.aborted) throw new FleetError('cancelled', 'Cancelled.');
  // Evaluate the named machines separately (a few at a time) to say which one is broken.
  const queue = [...fallback];
  const worker = async () => {
    for (let m = queue.shift(); m; m = queue.shift()) {
      const one = await runNix(['eval', '--json', '--no-write-lock-file', `path:${dir}#${attrOf[m.kind](m.name)}`], { ...options, env, cwd: dir });
      const id = `${m.kind}:${m.name}`;
      if (one.code === 0) drvPaths.set(id, JSON.parse(one.stdout) as string);
      else errors.set(id, firstErrorLine(one.stderr));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  if (drvPaths.size === 0 && errors.size === 0) errors.set('*', firstErrorLine(result.stderr));
  return { drvPaths, errors };
}

/** The line of nix's stderr that says what went wrong. */
export function firstErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => l.startsWith('error:'));
  return (error ?? lines[lines.length - 1] ?? 'nix eval failed').slice(0, 500);
}
