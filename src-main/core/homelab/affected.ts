import { scanInventory } from './scan';
import { FleetError } from '../contract';
import type { NixRunOptions } from '../nix/runner';
import { locateNix } from '../nix/nix-info';
import { byKindAndName, machineIndexOf, mapChangesToMachines, type MachineIndex } from './affected-rules';
import { evaluateMachineDerivations, type MachineDerivations } from './derivations';
import { changesSince, readRepoStateAndChanges, resolveRevision } from '../git/repo';
import { snapshotRevision, snapshotWorkingTree } from '../git/snapshot';
import type { ChangedFile } from '../git/types';
import type { AffectedMachine, AffectedReport, Confirmation, MachineKind } from './affected-types';

export interface AffectedOptions {
  /** Measure changes from this revision (default HEAD). */
  readonly base?: string;
  /** Evaluate old and new derivation paths to confirm (default true when nix is installed). */
  readonly confirm?: boolean;
  /** The layout folder setting of this checkout. */
  readonly layoutRoot?: string;
  readonly nix?: NixRunOptions;
  readonly signal?: AbortSignal;
}

/**
 * Which machines the checkout's changes touch: the layout rules give "likely affected"
 * at once; when nix is there, the derivation paths of the base revision and the working
 * tree are compared to mark each machine "confirmed changed" or not.
 */
export async function computeAffected(root: string, options: AffectedOptions = {}): Promise<AffectedReport> {
  const started = performance.now();
  const { state: repo, files: working } = await readRepoStateAndChanges(root);
  if (!repo.isGit) {
    throw new FleetError('not-git', `${root} is not a git repository, so there is no revision to compare with.`, {
      hint: 'Run `git init && git add -A && git commit -m init` in the checkout.',
    });
  }
  const ref = options.base ?? 'HEAD';
  let rev: string | undefined;
  let files: ChangedFile[];
  if (ref === 'HEAD' && !repo.head) {
    files = working;
  } else {
    rev = ref === 'HEAD' ? repo.head! : await resolveRevision(root, ref);
    files = ref === 'HEAD' ? working : await changesSince(root, rev);
  }
  const inventory = scanInventory(root, options.layoutRoot !== undefined ? { layoutRoot: options.layoutRoot } : {});
  const index = machineIndexOf(inventory);
  const rules = mapChangesToMachines(index, files);
  const machines = allMachineIds(index);

  let confirmation: Confirmation = { state: 'skipped', message: 'Not asked to evaluate.' };
  let affected = rules.affected;
  const wantConfirm = options.confirm ?? true;
  if (wantConfirm && files.length > 0) {
    if (!locateNix(options.nix?.env ?? process.env)) {
      confirmation = { state: 'unavailable', message: 'nix is not installed: only the layout rules were applied.' };
    } else if (!rev) {
      confirmation = { state: 'unavailable', message: 'There is no commit to compare with yet.' };
    } else if (repo.conflicted.length > 0) {
      confirmation = { state: 'unavailable', message: 'The working tree has merge conflicts, so it cannot be evaluated.' };
    } else {
      const result = await confirmByEvaluation(root, rev, index, affected, options);
      confirmation = result.confirmation;
      affected = result.affected;
    }
  } else if (files.length === 0) {
    confirmation = { state: 'skipped', message: 'Nothing changed.' };
  }
  return {
    root: inventory.root,
    base: { ref, ...(rev ? { rev } : {}) },
    repo,
    files,
    affected,
    unmapped: rules.unmapped,
    machines,
    confirmation,
    computeMs: Math.round(performance.now() - started),
  };
}

function allMachineIds(index: MachineIndex): string[] {
  return [
    ...index.systems.map((s) => `system:${s.name}`),
    ...index.homes.map((h) => `home:${h.name}`),
    ...index.droids.map((d) => `droid:${d.name}`),
  ];
}

async function confirmByEvaluation(
  root: string,
  rev: string,
  index: MachineIndex,
  likely: readonly AffectedMachine[],
  options: AffectedOptions,
): Promise<{ confirmation: Confirmation; affected: AffectedMachine[] }> {
  const started = performance.now();
  const all = allMachineIds(index).map((id) => ({ kind: id.slice(0, id.indexOf(':')) as MachineKind, name: id.slice(id.indexOf(':') + 1) }));
  const nixOptions: NixRunOptions = { ...(options.nix ?? {}), ...(options.signal ? { signal: options.signal } : {}) };
  const [oldTree, newTree] = await Promise.all([snapshotRevision(root, rev, options.signal), snapshotWorkingTree(root)]);
  let before: MachineDerivations;
  let after: MachineDerivations;
  try {
    [before, after] = await Promise.all([
      evaluateMachineDerivations(oldTree.dir, all, nixOptions),
      evaluateMachineDerivations(newTree.dir, all, nixOptions),
    ]);
  } catch (error) {
    if (error instanceof FleetError && error.code === 'cancelled') throw error;
    return { confirmation: { state: 'failed', message: (error as Error).message }, affected: [...likely] };
  } finally {
    oldTree.dispose();
    newTree.dispose();
  }
  const whole = after.errors.get('*') ?? before.errors.get('*');
  if (whole) return { confirmation: { state: 'failed', message: `Evaluation failed: ${whole}` }, affected: [...likely] };

  const byId = new Map(likely.map((m) => [m.id, m]));
  const ids = new Set([...before.drvPaths.keys(), ...after.drvPaths.keys(), ...before.errors.keys(), ...after.errors.keys(), ...byId.keys()]);
  const affected: AffectedMachine[] = [];
  let evaluated = 0;
  for (const id of ids) {
    const old = before.drvPaths.get(id);
    const now = after.drvPaths.get(id);
    const evalError = after.errors.get(id);
    const rule = byId.get(id);
    const drvPath = { ...(old ? { old } : {}), ...(now ? { new: now } : {}) };
    if (old && now) evaluated++;
    const changed = old !== now && !evalError;
    if (rule) {
      affected.push({ ...rule, confirmed: changed, drvPath, ...(evalError ? { evalError } : {}), ...(!old && now ? { added: true } : {}) });
    } else if (changed || evalError) {
      const kind = id.slice(0, id.indexOf(':')) as MachineKind;
      const name = id.slice(id.indexOf(':') + 1);
      const message = evalError
        ? `evaluating it failed in the working tree: ${evalError}`
        : !old
          ? 'it is a new configuration in the working tree'
          : !now
            ? 'it is no longer in the flake'
            : 'its derivation changed, though no layout rule maps a changed file to it';
      affected.push({
        id, name, kind, likely: false, confirmed: changed, reasonCount: 1, drvPath,
        reasons: [{ path: '', rule: 'evaluation', message }],
        ...(evalError ? { evalError } : {}),
        ...(!old && now ? { added: true } : {}),
        ...(old && !now ? { removed: true } : {}),
      });
    }
  }
  affected.sort(byKindAndName);
  const durationMs = Math.round(performance.now() - started);
  const changedCount = affected.filter((m) => m.confirmed).length;
  return {
    confirmation: {
      state: 'confirmed',
      durationMs,
      evaluated,
      message: `${changedCount} of ${ids.size} machine(s) have a different derivation than at ${rev.slice(0, 12)} (the revision stamp is ignored).`,
    },
    affected,
  };
}
