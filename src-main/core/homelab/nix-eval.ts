import * as fs from 'node:fs';
import * as path from 'node:path';
import { nixErrorLocation, nixErrorMessage } from './nix-error';
import { runProcess } from './nix-process';
import type { FlakeEvaluation } from './types';

export interface EvaluateOptions {
  /** The nix binary (default: FLEET_NIX, else "nix" on PATH). */
  readonly nix?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A Nix string literal holding `value` exactly (no interpolation). */
function nixString(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** A path as a URL path: each segment percent-encoded, so "#", "?" and spaces stay part of it. */
function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/**
 * The flake reference nix itself would use for `root`: git+file (only files git tracks,
 * which is what `nix build .#x` sees) inside a git repository, path: otherwise.
 */
export function flakeRefFor(root: string): string {
  let dir = root;
  for (;;) {
    if (fs.existsSync(path.join(dir, '.git'))) {
      const sub = path.relative(dir, root).split(path.sep).join('/');
      return `git+file://${encodePath(dir)}${sub ? `?dir=${encodeURIComponent(sub)}` : ''}`;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return `path:${encodePath(root)}`;
    dir = parent;
  }
}

/**
 * The arguments of the one nix call that lists the three configuration sets. Works on
 * nix 2.8 and current nix; an output the flake does not have comes back as null rather
 * than failing the whole call.
 */
export function evaluationArgs(flakeRef: string): string[] {
  const expr = [
    `let flake = builtins.getFlake ${nixString(flakeRef)};`,
    '    names = output: if flake ? ${output} then builtins.attrNames flake.${output} else null;',
    'in {',
    '  nixosConfigurations = names "nixosConfigurations";',
    '  homeConfigurations = names "homeConfigurations";',
    '  nixOnDroidConfigurations = names "nixOnDroidConfigurations";',
    '}',
  ].join('\n');
  return ['--extra-experimental-features', 'nix-command flakes', 'eval', '--json', '--impure', '--expr', expr];
}

const namesOrNull = (v: unknown): readonly string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/**
 * Ask nix for the attribute names of nixosConfigurations, homeConfigurations and
 * nixOnDroidConfigurations in one call. Never throws: no nix, a timeout or an
 * evaluation error come back as state 'unavailable'/'failed' with the reason and, when
 * nix names one, the checkout file and line.
 */
export async function evaluateFlake(root: string, options: EvaluateOptions = {}): Promise<FlakeEvaluation> {
  const env = options.env ?? process.env;
  const nix = options.nix ?? env.FLEET_NIX ?? 'nix';
  const started = performance.now();
  const result = await runProcess(nix, evaluationArgs(flakeRefFor(root)), {
    cwd: root,
    env,
    timeoutMs: options.timeoutMs ?? 120_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const durationMs = Math.round(performance.now() - started);
  if (result.spawnError) {
    const why = result.spawnError.code === 'ENOENT' ? `nix is not installed or not on PATH (looked for "${nix}")` : `nix could not be started (${result.spawnError.message})`;
    return { state: 'unavailable', error: `${why}; showing the directory scan only.`, durationMs };
  }
  if (result.timedOut) {
    return { state: 'failed', error: `nix did not finish evaluating the flake within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s (fetching inputs?); showing the directory scan only.`, durationMs };
  }
  if (options.signal?.aborted) return { state: 'failed', error: 'Evaluation cancelled.', durationMs };
  if (result.code !== 0) {
    const location = nixErrorLocation(result.stderr, root);
    return { state: 'failed', error: nixErrorMessage(result.stderr), ...(location ? { location } : {}), durationMs };
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    return { state: 'failed', error: `nix printed something that is not JSON: ${result.stdout.slice(0, 200)}`, durationMs };
  }
  const nixos = namesOrNull(parsed.nixosConfigurations);
  const home = namesOrNull(parsed.homeConfigurations);
  const droid = namesOrNull(parsed.nixOnDroidConfigurations);
  return {
    state: 'ok',
    ...(nixos ? { nixosConfigurations: nixos } : {}),
    ...(home ? { homeConfigurations: home } : {}),
    ...(droid ? { nixOnDroidConfigurations: droid } : {}),
    durationMs,
  };
}
