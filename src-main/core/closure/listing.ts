import { FleetError } from '../contract';
import { runNix, type NixRunOptions } from '../nix/runner';
import { nixErrorFromStderr } from '../nix/nix-errors';
import type { ClosureEntry } from './types';

/** Runs a program on a host: an SSH connection, a phone's shell, or a local process. */
export type HostExec = (argv: readonly string[]) => Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>;

/**
 * Read `nix path-info --json` output into closure entries. Nix < 2.19 prints an array of
 * {path, narSize}, newer ones an object keyed by path; invalid paths come as
 * {path, valid: false} or null and are skipped.
 */
export function parseClosureJson(stdout: string): ClosureEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new FleetError('failed', 'nix path-info printed something that is not JSON.');
  }
  const entries: ClosureEntry[] = [];
  const push = (p: unknown, info: unknown) => {
    if (typeof p !== 'string' || !p.startsWith('/')) return;
    const record = info as { narSize?: unknown; valid?: unknown } | null;
    if (!record || record.valid === false) return;
    entries.push({ path: p, narSize: typeof record.narSize === 'number' ? record.narSize : 0 });
  };
  if (Array.isArray(parsed)) for (const e of parsed) push((e as { path?: unknown } | null)?.path, e);
  else if (parsed && typeof parsed === 'object') for (const [p, e] of Object.entries(parsed)) push(p, e);
  else throw new FleetError('failed', 'nix path-info printed neither a list nor an object.');
  return entries;
}

/** The command that lists a closure with NAR sizes in one go, on any nix since 2.4. */
export function closureListingArgv(storePath: string): string[] {
  return ['nix', '--extra-experimental-features', 'nix-command', 'path-info', '--recursive', '--json', storePath];
}

/** The closure of a local store path (a built toplevel, a generation), with NAR sizes. */
export async function localClosure(storePath: string, options: NixRunOptions = {}): Promise<ClosureEntry[]> {
  const result = await runNix(['path-info', '--recursive', '--json', storePath], options);
  if (result.code !== 0) throw nixErrorFromStderr(result.stderr, { fallback: `nix path-info ${storePath} failed` });
  return parseClosureJson(result.stdout);
}

/**
 * The closure of a path on a host (default: its running system), listed in ONE command
 * over the host's connection. Resolves the profile link on the host, so the caller needs
 * no store path. Throws FleetError('host-unreachable') when the command cannot run.
 */
export async function hostClosure(exec: HostExec, storePath = '/run/current-system'): Promise<ClosureEntry[]> {
  let result: Awaited<ReturnType<HostExec>>;
  try {
    result = await exec(closureListingArgv(storePath));
  } catch (error) {
    throw new FleetError('host-unreachable', `Could not list the closure on the host: ${(error as Error).message}`);
  }
  if (result.code !== 0) {
    const line = result.stderr.split('\n').find((l) => l.includes('error')) ?? result.stderr.trim().split('\n').pop() ?? '';
    throw new FleetError('failed', `Listing ${storePath} on the host failed (exit ${result.code}): ${line.trim()}`, {
      hint: result.code === 127 ? 'nix is not on the PATH of a non-interactive shell on the host.' : undefined,
    });
  }
  return parseClosureJson(result.stdout);
}

/** Above this many candidates the store check is skipped (one argv must stay small). */
const maxValidityCheck = 2000;

/**
 * Which of `paths` the host's store lacks (`nix-store --check-validity --print-invalid`,
 * one command). Undefined when there are too many to ask about or the check fails: the
 * caller then keeps its estimate.
 */
export async function hostMissingPaths(exec: HostExec, paths: readonly string[]): Promise<Set<string> | undefined> {
  if (paths.length === 0) return new Set();
  if (paths.length > maxValidityCheck) return undefined;
  try {
    const result = await exec(['nix-store', '--check-validity', '--print-invalid', ...paths]);
    if (result.code !== 0) return undefined;
    const wanted = new Set(paths);
    return new Set(result.stdout.split('\n').map((l) => l.trim()).filter((l) => wanted.has(l)));
  } catch {
    return undefined;
  }
}
