import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../contract';
import { nixEvalJson, type NixRunOptions } from './runner';

/** What a build target is: one of the homelab's configurations, or any flake attribute. */
export type TargetKind = 'system' | 'home' | 'droid' | 'attr';

/** A name the user typed, resolved to what nix builds. */
export interface BuildTarget {
  /** What the UI and logs call it: "moonlight", "home:soriphoono", or the attribute path. */
  readonly label: string;
  readonly kind: TargetKind;
  /** The configuration's name (for attr targets, the attribute path). */
  readonly name: string;
  /** Attribute path inside the flake, e.g. nixosConfigurations.moonlight.config.system.build.toplevel. */
  readonly attrPath: string;
  /** What `nix build` gets when run in the checkout: `.#<attrPath>`. */
  readonly installable: string;
}

/** Names of the homelab's configurations, by kind. */
export interface TargetNames {
  readonly system: readonly string[];
  readonly home: readonly string[];
  readonly droid: readonly string[];
}

const outputOf: Record<Exclude<TargetKind, 'attr'>, string> = {
  system: 'nixosConfigurations',
  home: 'homeConfigurations',
  droid: 'nixOnDroidConfigurations',
};

const packageOf: Record<Exclude<TargetKind, 'attr'>, string> = {
  system: 'config.system.build.toplevel',
  home: 'activationPackage',
  droid: 'activationPackage',
};

const knownOutputs = /^(nixosConfigurations|homeConfigurations|nixOnDroidConfigurations|packages|checks|legacyPackages|devShells|apps|formatter|hydraJobs)\./;

/** Quote an attribute name when nix needs it ("a.b" or "user@host"). */
export function attrName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) ? name : `"${name}"`;
}

/** The target for a configuration of a known kind. */
export function configurationTarget(kind: Exclude<TargetKind, 'attr'>, name: string, label = name): BuildTarget {
  const attrPath = `${outputOf[kind]}.${attrName(name)}.${packageOf[kind]}`;
  return { label, kind, name, attrPath, installable: `.#${attrPath}` };
}

/**
 * The cheap first answer: configuration names from the directory layout (systems/,
 * homes/, droids/, at the root or under nix/), following lib/default.nix's discover rule.
 */
export function scanTargetNames(root: string): TargetNames {
  const layout = ['', 'nix'].map((d) => path.join(root, d)).find((d) => fs.existsSync(path.join(d, 'systems'))) ?? root;
  const homes = discover(path.join(layout, 'homes')).filter((n) => !n.includes('@'));
  return { system: discover(path.join(layout, 'systems')), home: homes, droid: discover(path.join(layout, 'droids')) };
}

function discover(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const e of entries) {
    if (e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'default.nix'))) names.push(e.name);
    else if (e.isFile() && e.name.endsWith('.nix') && e.name !== 'default.nix') names.push(e.name.slice(0, -4));
  }
  return names.sort();
}

/** Name lookups under way, by checkout and nix set-up: a flood of requests shares one. */
const namesInFlight = new Map<string, Promise<TargetNames>>();

/**
 * The truth: configuration names from the flake's outputs (three cheap evaluations).
 * Identical lookups at the same time share one run, so a page sending many unknown
 * names at once starts three evaluations, not three per request. A caller with its own
 * cancel signal gets its own run (cancelling must not fail the others).
 */
export function flakeTargetNames(root: string, options: NixRunOptions = {}): Promise<TargetNames> {
  if (options.signal) return readFlakeTargetNames(root, options);
  const key = JSON.stringify([root, options.nix ?? '', options.options ?? [], options.env?.FLEET_NIX ?? '', options.env?.FLEET_NIX_OPTIONS ?? '']);
  const running = namesInFlight.get(key);
  if (running) return running;
  const run = readFlakeTargetNames(root, options).finally(() => namesInFlight.delete(key));
  namesInFlight.set(key, run);
  return run;
}

async function readFlakeTargetNames(root: string, options: NixRunOptions): Promise<TargetNames> {
  const names = async (output: string) => {
    try {
      return await nixEvalJson<string[]>(`.#${output}`, { ...options, cwd: root, root, apply: 'builtins.attrNames' });
    } catch (error) {
      if (error instanceof FleetError && /does not provide attribute|attribute .* missing/.test(error.message)) return [];
      throw error;
    }
  };
  const [system, home, droid] = await Promise.all([names(outputOf.system), names(outputOf.home), names(outputOf.droid)]);
  return { system: system ?? [], home: home ?? [], droid: droid ?? [] };
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      prev[j] = Math.min(above + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = above;
    }
  }
  return prev[b.length]!;
}

/** Known names close to `name`, closest first. */
export function closeMatches(name: string, known: readonly string[], max = 5): string[] {
  const limit = Math.max(2, Math.ceil(name.length * 0.4));
  return known
    .map((k) => ({ k, d: editDistance(name.toLowerCase(), k.toLowerCase().replace(/^(system|home|droid):/, '')) }))
    .filter(({ k, d }) => d <= limit || k.toLowerCase().includes(name.toLowerCase()))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, max)
    .map(({ k }) => k);
}

const safeName = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/;

/** Parse what the user typed without looking at the checkout. */
export function parseTargetSpec(spec: string): { kind: TargetKind | 'any'; name: string } {
  const text = spec.trim();
  if (text.includes('#')) return { kind: 'attr', name: text.slice(text.indexOf('#') + 1) };
  if (knownOutputs.test(text)) return { kind: 'attr', name: text };
  const prefixed = /^(system|home|droid):(.*)$/.exec(text);
  if (prefixed) return { kind: prefixed[1] as TargetKind, name: prefixed[2]! };
  return { kind: 'any', name: text };
}

/**
 * Resolve what the user typed ("moonlight", "home:soriphoono", ".#nixosConfigurations.x...")
 * to build targets. Names come from the directory scan, and from the flake's outputs when
 * the scan does not know a name (checkouts drift from the layout). An unknown name is a
 * FleetError('not-found') listing the close matches; a name used by two kinds asks for a prefix.
 */
export async function resolveTargets(specs: readonly string[], root: string, options: NixRunOptions = {}): Promise<BuildTarget[]> {
  let names = scanTargetNames(root);
  let fromFlake = false;
  const resolved: BuildTarget[] = [];
  for (const spec of specs) {
    const parsed = parseTargetSpec(spec);
    if (parsed.kind === 'attr') {
      if (!parsed.name || /["\\$\s]/.test(parsed.name)) throw new FleetError('invalid-input', `"${spec}" is not a flake attribute path.`);
      resolved.push({ label: parsed.name, kind: 'attr', name: parsed.name, attrPath: parsed.name, installable: `.#${parsed.name}` });
      continue;
    }
    if (!safeName.test(parsed.name)) {
      throw new FleetError('invalid-input', `"${spec}" is not a valid target name (letters, digits, _ . @ + - only).`);
    }
    let kinds = kindsHaving(names, parsed.kind, parsed.name);
    if (kinds.length === 0 && !fromFlake) {
      names = mergeNames(names, await flakeTargetNames(root, options));
      fromFlake = true;
      kinds = kindsHaving(names, parsed.kind, parsed.name);
    }
    if (kinds.length === 0) throw unknownTarget(spec, parsed, names);
    if (kinds.length > 1) {
      const choices = kinds.map((k) => `${k}:${parsed.name}`).join(', ');
      throw new FleetError('invalid-input', `"${spec}" names more than one configuration: ${choices}. Say which with a prefix.`);
    }
    const kind = kinds[0]!;
    const clash = kindsHaving(names, 'any', parsed.name).length > 1;
    resolved.push(configurationTarget(kind, parsed.name, kind === 'system' && !clash ? parsed.name : `${kind}:${parsed.name}`));
  }
  // "moonlight" and "system:moonlight" are the same build: keep the first.
  return resolved.filter((t, i) => resolved.findIndex((o) => o.attrPath === t.attrPath) === i);
}

function kindsHaving(names: TargetNames, kind: TargetKind | 'any', name: string): Exclude<TargetKind, 'attr'>[] {
  const kinds = (['system', 'home', 'droid'] as const).filter((k) => kind === 'any' || kind === k);
  return kinds.filter((k) => names[k].includes(name));
}

function mergeNames(a: TargetNames, b: TargetNames): TargetNames {
  const merge = (x: readonly string[], y: readonly string[]) => [...new Set([...x, ...y])].sort();
  return { system: merge(a.system, b.system), home: merge(a.home, b.home), droid: merge(a.droid, b.droid) };
}

function unknownTarget(spec: string, parsed: { kind: TargetKind | 'any'; name: string }, names: TargetNames): FleetError {
  const all = (['system', 'home', 'droid'] as const).flatMap((k) =>
    parsed.kind === 'any' || parsed.kind === k ? names[k].map((n) => (k === 'system' ? n : `${k}:${n}`)) : [],
  );
  const close = closeMatches(parsed.name, all);
  const what = parsed.kind === 'any' ? 'system, home or droid' : parsed.kind;
  const suggestion = close.length > 0 ? ` Did you mean ${close.join(', ')}?` : '';
  return new FleetError('not-found', `No ${what} named "${spec}".${suggestion}`, {
    hint: all.length > 0 ? `Known targets: ${all.join(', ')}.` : 'The checkout has no systems/, homes/ or droids/ configurations.',
  });
}
