import { FleetError } from '../contract';
import type { NixRunOptions } from '../nix/runner';
import { parsePathInfoJson, queryPathInfo } from '../nix/path-info';
import type { ClosureEntry } from './types';

/** Runs a program on a host: an SSH connection, a phone's shell, or a local process. */
export type HostExec = (argv: readonly string[]) => Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>;

/**
 * Closure entries from `nix path-info --json` output of any nix (path-info.ts reads the
 * shapes); invalid paths are skipped.
 */
export function parseClosureJson(stdout: string): ClosureEntry[] {
  return [...parsePathInfoJson(stdout).values()].map((info) => ({ path: info.path, narSize: info.narSize ?? 0 }));
}

/**
 * The store path a closure listing was made for: the one path no other path of the
 * closure refers to. Undefined when that is not a single path (a listing of several roots).
 */
export function closureRootOf(stdout: string): string | undefined {
  const infos = parsePathInfoJson(stdout);
  const referenced = new Set<string>();
  for (const info of infos.values()) for (const r of info.references) if (r !== info.path) referenced.add(r);
  const roots = [...infos.keys()].filter((p) => !referenced.has(p));
  return roots.length === 1 ? roots[0] : undefined;
}

// The host's nix version is not known here: ask for JSON format 1 (Nix 2.34+, where `--json`
// alone is deprecated and is to become an error), and where the flag is unknown (older Nix,
// Lix) ask the way every nix since 2.4 understands. $1: the store path or profile link.
const closureListingScript = `nix --extra-experimental-features nix-command path-info --recursive --json --json-format 1 "$1" 2>/dev/null ||
exec nix --extra-experimental-features nix-command path-info --recursive --json "$1"`;

/** The command that lists a closure with NAR sizes in one go, on any nix since 2.4. */
export function closureListingArgv(storePath: string): string[] {
  return ['sh', '-c', closureListingScript, 'fleet', storePath];
}

/** The closure of a local store path (a built toplevel, a generation), with NAR sizes. */
export async function localClosure(storePath: string, options: NixRunOptions = {}): Promise<ClosureEntry[]> {
  const info = await queryPathInfo([storePath], { recursive: true }, options);
  return [...info.values()].map((e) => ({ path: e.path, narSize: e.narSize ?? 0 }));
}

/**
 * The closure of a path on a host (default: its running system), listed in ONE command
 * over the host's connection. Resolves the profile link on the host, so the caller needs
 * no store path. Throws FleetError('host-unreachable') when the command cannot run.
 */
export async function hostClosure(exec: HostExec, storePath = '/run/current-system'): Promise<ClosureEntry[]> {
  return (await hostClosureWithRoot(exec, storePath)).entries;
}

/** hostClosure, plus the store path the profile link resolved to on the host. */
export async function hostClosureWithRoot(exec: HostExec, storePath = '/run/current-system'): Promise<{ entries: ClosureEntry[]; root?: string }> {
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
  const root = closureRootOf(result.stdout);
  return { entries: parseClosureJson(result.stdout), ...(root ? { root } : {}) };
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
