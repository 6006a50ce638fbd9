import type { DroidItem, FlakeEvaluation, FlakeState, Inventory, InventoryWarning, StandaloneHome, SystemItem } from './types';

interface Named {
  readonly name: string;
  readonly flake: FlakeState;
  readonly warnings: readonly InventoryWarning[];
}

/**
 * Mark each scanned item with what the flake says: in both, discovered only, or (as new
 * items) in the flake only. While an evaluation is pending, the last known names still
 * confirm items but nothing is declared missing. `label` names the output in warnings.
 */
function reconcileList<T extends Named>(
  items: readonly T[],
  names: readonly string[] | undefined,
  evaluation: FlakeEvaluation,
  output: string,
  kind: string,
  hint: string,
  makeFlakeOnly: (name: string, warning: InventoryWarning) => T,
): T[] {
  const settled = evaluation.state === 'ok';
  if (!names) {
    if (!settled) return items.map((i) => ({ ...i, flake: 'unknown' as FlakeState }));
    return items.map((i) => ({
      ...i,
      flake: 'discovered-only' as FlakeState,
      warnings: [...i.warnings, { severity: 'warning' as const, item: `${kind}:${i.name}`, message: `The flake has no ${output} output, so nix cannot build ${i.name}.` }],
    }));
  }
  const inFlake = new Set(names);
  const out: T[] = items.map((i) => {
    if (inFlake.has(i.name)) return { ...i, flake: 'discovered-and-in-flake' as FlakeState };
    if (!settled) return { ...i, flake: 'unknown' as FlakeState };
    return {
      ...i,
      flake: 'discovered-only' as FlakeState,
      warnings: [...i.warnings, { severity: 'warning' as const, item: `${kind}:${i.name}`, message: `${i.name} is not in the flake's ${output}${hint}` }],
    };
  });
  if (settled) {
    const scanned = new Set(items.map((i) => i.name));
    for (const name of names) {
      if (scanned.has(name)) continue;
      out.push(
        makeFlakeOnly(name, {
          severity: 'warning',
          item: `${kind}:${name}`,
          message: `${name} is in the flake's ${output} but not found by the directory scan (defined in flake.nix or outside the layout).`,
        }),
      );
    }
  }
  return out;
}

/** The scan reconciled with a flake evaluation (or with what is known while one runs). */
export function reconcile(scan: Inventory, evaluation: FlakeEvaluation, previous?: FlakeEvaluation): Inventory {
  // While pending, the previous evaluation's names still confirm what they list.
  const basis = evaluation.state === 'pending' && previous?.state === 'ok' ? previous : evaluation;
  const isGit = !scan.warnings.some((w) => w.message.startsWith('The checkout is not a git repository'));
  const hint = isGit ? ': if it is new, `git add` it (nix only sees files git tracks).' : '.';
  const systems = reconcileList<SystemItem>(scan.systems, basis.nixosConfigurations, evaluation, 'nixosConfigurations', 'system', hint, (name, warning) => ({
    name,
    path: '',
    system: 'unknown',
    meta: {},
    deploy: { host: name, tags: [], buildOnTarget: false, sudo: false, checks: [] },
    homes: [],
    flake: 'in-flake-only',
    warnings: [warning],
    files: [],
  }));
  const standaloneHomes = reconcileList<StandaloneHome>(scan.standaloneHomes, basis.homeConfigurations, evaluation, 'homeConfigurations', 'standalone-home', hint, (name, warning) => ({
    name,
    user: name.split('@')[0] ?? name,
    system: 'unknown',
    parts: [],
    flake: 'in-flake-only',
    warnings: [warning],
  }));
  const droids = reconcileList<DroidItem>(scan.droids, basis.nixOnDroidConfigurations, evaluation, 'nixOnDroidConfigurations', 'droid', hint, (name, warning) => ({
    name,
    path: '',
    system: 'unknown',
    meta: {},
    homes: [],
    flake: 'in-flake-only',
    warnings: [warning],
  }));
  const warnings = [...scan.warnings];
  if (evaluation.state === 'failed' || evaluation.state === 'unavailable') {
    warnings.push({
      severity: 'warning',
      ...(evaluation.location ? { path: evaluation.location.file } : {}),
      message: `The flake could not be evaluated: ${evaluation.error ?? 'unknown error'}${evaluation.location ? ` (${evaluation.location.file}:${evaluation.location.line})` : ''}. Showing the directory scan only.`,
    });
  }
  return { ...scan, systems, standaloneHomes, droids, warnings, flake: evaluation };
}
