import { FleetError } from '../contract';
import type { JobContext } from '../jobs/jobs';
import { detectNix } from '../nix/nix-info';
import { compareVersions } from '../nix/versions';
import { runNix } from '../nix/runner';
import { diffLocks, lockInWorkingTree, type LockDiff } from './lock-diff';

/** The nix arguments that update all inputs, or the named ones, on this nix version. */
export function flakeUpdateArgs(version: string, inputs: readonly string[]): string[] {
  if (inputs.length === 0) return ['flake', 'update'];
  // `nix flake update <input>` exists since 2.19; older versions only know --update-input.
  if (compareVersions(version, '2.19') >= 0) return ['flake', 'update', ...inputs];
  return ['flake', 'lock', ...inputs.flatMap((i) => ['--update-input', i])];
}

/** Refuse input names nix would not accept (and anything that looks like an option). */
export function checkInputNames(inputs: readonly string[]): void {
  for (const input of inputs) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/.test(input)) throw new FleetError('invalid-input', `"${input}" is not a flake input name.`);
  }
}

/**
 * Update the flake's inputs (all, or the named ones) and answer the flake.lock diff, so
 * the person sees what moved before committing. Nothing is committed here.
 */
export async function updateFlakeInputs(root: string, inputs: readonly string[], job: JobContext, env: NodeJS.ProcessEnv): Promise<LockDiff> {
  checkInputNames(inputs);
  const info = await detectNix(env);
  if (!info.found || !info.version) throw new FleetError('nix-missing', info.problem ?? 'nix is not installed.');
  const before = lockInWorkingTree(root);
  const args = flakeUpdateArgs(info.version, inputs);
  job.log(`nix ${args.join(' ')}`);
  const result = await runNix(args, { cwd: root, env, signal: job.signal, onStderrLine: (line) => job.log(line, 'stderr') });
  if (result.code !== 0) {
    throw new FleetError('failed', `Updating the flake inputs failed: ${result.stderr.trim().split('\n').filter((l) => l.includes('error')).pop() ?? `exit ${result.code}`}`);
  }
  return diffLocks(before, lockInWorkingTree(root));
}
