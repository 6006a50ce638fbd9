import * as path from 'node:path';
import { FleetError } from '../contract';
import { runNix, type NixResult } from '../nix/runner';
import { gitTopOf } from '../checkout/find-up';
import { checkoutErrorOf } from '../nix/nix-errors';
import type { FlakeEvaluation } from './types';

export interface EvaluateOptions {
  /** The nix binary (default: the nix runner's choice: FLEET_NIX, PATH, the usual places). */
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
  const top = gitTopOf(root);
  if (top === undefined) return `path:${encodePath(root)}`;
  const sub = path.relative(top, root).split(path.sep).join('/');
  return `git+file://${encodePath(top)}${sub ? `?dir=${encodeURIComponent(sub)}` : ''}`;
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
  // The nix runner adds --extra-experimental-features "nix-command flakes" in front.
  return ['eval', '--json', '--impure', '--expr', expr];
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
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  // One controller for both ways an evaluation ends early: the caller's signal and the timeout.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let result: NixResult;
  try {
    result = await runNix(evaluationArgs(flakeRefFor(root)), {
      cwd: root,
      env,
      signal: controller.signal,
      killGraceMs: 1000,
      ...(options.nix ? { nix: options.nix } : {}),
    });
  } catch (error) {
    const code = error instanceof FleetError ? error.code : 'failed';
    if (code === 'nix-missing' || code === 'not-found') {
      const which = options.nix ?? env.FLEET_NIX;
      return { state: 'unavailable', error: `nix is not installed or not on PATH${which ? ` (looked for "${which}")` : ''}; showing the directory scan only.`, durationMs: elapsed() };
    }
    if (timedOut) {
      return { state: 'failed', error: `nix did not finish evaluating the flake within ${Math.round(timeoutMs / 1000)} s (fetching inputs?); showing the directory scan only.`, durationMs: elapsed() };
    }
    return { state: 'failed', error: code === 'cancelled' ? 'Evaluation cancelled.' : (error as Error).message, durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const durationMs = elapsed();
  if (result.code !== 0) {
    const { message, location } = checkoutErrorOf(result.stderr, root);
    return { state: 'failed', error: message, ...(location ? { location } : {}), durationMs };
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
