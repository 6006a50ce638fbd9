/**
 * The one way the app runs nix. Other domains (inventory, deploy, diffs, android) call
 * these functions instead of spawning nix themselves:
 *
 *   runNix(['eval', '--json', '.#x'], { cwd, signal, onStderrLine, onStdoutLine, env })
 *     -> { code, signal, stdout, stderr }           (never throws on a non-zero exit)
 *   nixEvalJson<T>('.#nixosConfigurations', { cwd, apply: 'builtins.attrNames' })
 *     -> T                                          (throws a readable FleetError with location)
 *   closureInfo(['/nix/store/...'], { cwd })         (path-info.ts: every nix's path-info JSON)
 *     -> [{ path, narSize, closureSize, paths }]
 *   buildTargets(...)                               (build.ts: live progress, per-target results)
 *
 * Every call passes `--extra-experimental-features "nix-command flakes"` and the options
 * in FLEET_NIX_OPTIONS, spawns with an argument array in its own process group (so a
 * cancel through `signal` kills nix and its builders), and never uses a shell.
 */
import * as path from 'node:path';
import { FleetError } from '../contract';
import { locateNix, installAdvice } from './nix-info';
import { nixOptionArgs, nixOptionsFromEnv, type NixOption } from './nix-options';
import { runProcess, type ProcessOptions, type ProcessResult } from '../process/run';
import { nixErrorFromStderr } from './nix-errors';

export type { ProcessResult as NixResult } from '../process/run';

export interface NixRunOptions extends ProcessOptions {
  /** Full path of nix; default: found on PATH or the usual places (FLEET_NIX overrides). */
  readonly nix?: string;
  /** Extra `--option name value` pairs; default: FLEET_NIX_OPTIONS from `env`. */
  readonly options?: readonly NixOption[];
}

/** The arguments every nix command gets before its own. */
export function nixBaseArgs(options: readonly NixOption[]): string[] {
  return ['--extra-experimental-features', 'nix-command flakes', ...nixOptionArgs(options)];
}

/** The nix binary to use, or a FleetError('nix-missing') explaining how to install it. */
export function requireNix(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  const nix = explicit ?? locateNix(env);
  if (!nix) {
    const message = env.FLEET_NIX
      ? `FLEET_NIX is ${env.FLEET_NIX}, which is neither an executable nix nor a folder holding one, so this cannot be evaluated or built.`
      : 'Nix is not installed, so this cannot be evaluated or built.';
    throw new FleetError('nix-missing', message, { hint: installAdvice.steps.join(' ') });
  }
  return nix;
}

/** nix-store from the same folder as nix (a FLEET_NIX toolchain keeps them together). */
export function requireNixStore(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  return path.join(path.dirname(requireNix(env, explicit)), 'nix-store');
}

/**
 * Run `nix <args>` and resolve with its exit code and output (a non-zero exit is not an
 * error here: callers decide). Rejects with FleetError('cancelled') when `signal` aborts
 * (after the process tree is gone) and FleetError('nix-missing') when nix is not installed.
 */
export async function runNix(args: readonly string[], options: NixRunOptions = {}): Promise<ProcessResult> {
  const env = options.env ?? process.env;
  const nix = requireNix(env, options.nix);
  const extra = options.options ?? nixOptionsFromEnv(env);
  const result = await runProcess(nix, [...nixBaseArgs(extra), ...args], { ...options, env });
  if (result.code === 0 || !evalCacheBusy(result.stderr) || extra.some((o) => o.name === 'eval-cache')) return result;
  // Another nix process (the user's, or a parallel one of ours) held the flake's evaluation
  // cache; nix then reports attributes as missing. The evaluation itself is fine: run it
  // again without the cache (nothing was built, a busy cache fails before any build).
  options.onStderrLine?.("nix's evaluation cache was busy (another nix is evaluating this flake); evaluating again without it.");
  return runProcess(nix, [...nixBaseArgs([...extra, { name: 'eval-cache', value: 'false' }]), ...args], { ...options, env });
}

/** Whether nix failed because the flake's SQLite evaluation cache was locked by another process. */
export function evalCacheBusy(stderr: string): boolean {
  return /SQLite database '[^']*eval-cache[^']*' is busy/.test(stderr) || /attribute '[^']*' is unexpectedly missing/.test(stderr);
}

export interface EvalOptions extends NixRunOptions {
  /** A nix function applied to the value before it is printed, e.g. 'builtins.attrNames'. */
  readonly apply?: string;
  /** The checkout, to map /nix/store/...-source paths in errors back to its files (default: cwd). */
  readonly root?: string;
}

/**
 * `nix eval --json <installable> [--apply fn]`, parsed. Failures throw a FleetError whose
 * message is nix's error (trace collapsed) and whose `location` points into the checkout.
 */
export async function nixEvalJson<T = unknown>(installable: string, options: EvalOptions = {}): Promise<T> {
  const args = ['eval', '--json', '--show-trace', installable, ...(options.apply ? ['--apply', options.apply] : [])];
  const result = await runNix(args, options);
  if (result.code !== 0) {
    throw nixErrorFromStderr(result.stderr, { root: options.root ?? options.cwd, fallback: `nix eval ${installable} failed` });
  }
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new FleetError('failed', `nix eval ${installable} printed something that is not JSON.`);
  }
}
