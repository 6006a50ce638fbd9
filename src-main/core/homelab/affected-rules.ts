import type { Inventory } from './types';
import type { ChangeKind } from '../git/types';
import type { AffectReason, AffectRule, AffectedMachine, MachineKind, UnmappedFile } from './affected-types';

/** The machines of a checkout and how homes attach to them: what the mapping rules need. */
export interface MachineIndex {
  /** Layout folder relative to the checkout root: "" or e.g. "nix/". Always ends with "/" when set. */
  readonly layoutPrefix: string;
  readonly systems: readonly { readonly name: string; readonly homes: readonly string[] }[];
  /** Standalone homes (homeConfigurations.<user>). */
  readonly homes: readonly { readonly name: string }[];
  readonly droids: readonly { readonly name: string; readonly homes: readonly string[] }[];
}

/** A changed path and how it changed, relative to the checkout root. */
export interface PathChange {
  readonly path: string;
  readonly kind: ChangeKind;
}

export interface RuleResult {
  readonly affected: AffectedMachine[];
  readonly unmapped: UnmappedFile[];
}

const maxReasons = 20;

/** The index the rules work on, from an inventory scan. */
export function machineIndexOf(inventory: Pick<Inventory, 'root' | 'layoutRoot' | 'systems' | 'standaloneHomes' | 'droids'>): MachineIndex {
  const rel = relativeLayout(inventory.root, inventory.layoutRoot);
  return {
    layoutPrefix: rel === '' ? '' : `${rel}/`,
    systems: inventory.systems.map((s) => ({ name: s.name, homes: s.homes })),
    homes: inventory.standaloneHomes.map((h) => ({ name: h.name })),
    droids: inventory.droids.map((d) => ({ name: d.name, homes: d.homes })),
  };
}

function relativeLayout(root: string, layoutRoot: string): string {
  const r = root.replace(/\/+$/, '');
  if (layoutRoot === r || !layoutRoot.startsWith(`${r}/`)) return '';
  return layoutRoot.slice(r.length + 1).replace(/\/+$/, '');
}

/** "user", "user@global", "user@droid", "user@host". */
function splitHome(segment: string): { user: string; scope?: string } {
  const at = segment.indexOf('@');
  return at < 0 ? { user: segment } : { user: segment.slice(0, at), scope: segment.slice(at + 1) };
}

/**
 * Map changed files to the systems, homes and droids they can affect, by the layout's
 * rules, with a reason per machine. Pure and linear in files + machines touched: the
 * 1,000-host bench runs it on every keystroke-sized change.
 */
export function mapChangesToMachines(index: MachineIndex, changes: readonly PathChange[]): RuleResult {
  const machines = new Map<string, { name: string; kind: MachineKind; reasons: AffectReason[]; count: number; removed?: boolean }>();
  const unmapped: UnmappedFile[] = [];
  const systemsByName = new Map(index.systems.map((s) => [s.name, s]));
  const homeNames = new Set(index.homes.map((h) => h.name));
  const droidsByName = new Map(index.droids.map((d) => [d.name, d]));
  // Systems that import homes/<user> (through homes/<user>@<host>), by user.
  const systemsByUser = new Map<string, string[]>();
  for (const s of index.systems) {
    for (const home of s.homes) {
      const { user } = splitHome(home);
      const list = systemsByUser.get(user) ?? [];
      list.push(s.name);
      systemsByUser.set(user, list);
    }
  }

  const add = (kind: MachineKind, name: string, reason: AffectReason, removed = false): void => {
    const id = `${kind}:${name}`;
    let entry = machines.get(id);
    if (!entry) {
      entry = { name, kind, reasons: [], count: 0, ...(removed ? { removed } : {}) };
      machines.set(id, entry);
    }
    entry.count++;
    if (entry.reasons.length < maxReasons) entry.reasons.push(reason);
  };
  const reason = (path: string, rule: AffectRule, message: string): AffectReason => ({ path, rule, message });

  for (const change of changes) {
    const path = change.path;
    if (path === 'flake.nix' || path === 'flake.lock') {
      const r = reason(path, 'flake-wide', 'the flake itself: every configuration is built from it');
      everything(index, r, add);
      continue;
    }
    const inLayout = index.layoutPrefix === '' ? path : path.startsWith(index.layoutPrefix) ? path.slice(index.layoutPrefix.length) : undefined;
    // lib/, overlays/ and pkgs/ may sit at the checkout root or beside systems/.
    const shared = /^(lib|overlays|pkgs)\//.exec(inLayout ?? '') ?? /^(lib|overlays|pkgs)\//.exec(path);
    if (shared) {
      const r = reason(path, 'flake-wide', `${shared[1]}/ is shared by every configuration`);
      everything(index, r, add);
      continue;
    }
    if (inLayout === undefined) {
      unmapped.push({ path, message: 'outside the layout folder; no configuration is built from it by the layout rules' });
      continue;
    }
    const parts = inLayout.split('/');
    const top = parts[0];
    const second = parts[1];
    if (top === 'systems' && second !== undefined) {
      const name = parts.length === 2 && second.endsWith('.nix') ? second.slice(0, -4) : second;
      if (systemsByName.has(name)) add('system', name, reason(path, 'host-config', `part of system ${name}`));
      else if (change.kind === 'deleted' && name !== 'default') add('system', name, reason(path, 'host-config', `deleted: system ${name} is gone from the checkout`), true);
      else unmapped.push({ path, message: `no system named "${name}" is discovered (a folder needs default.nix)` });
      continue;
    }
    if (top === 'homes' && second !== undefined) {
      const segment = parts.length === 2 && second.endsWith('.nix') ? second.slice(0, -4) : second;
      mapHome(segment, path, { systemsByName, systemsByUser, homeNames, droidsByName }, add, unmapped);
      continue;
    }
    if (top === 'droids' && second !== undefined) {
      const name = parts.length === 2 && second.endsWith('.nix') ? second.slice(0, -4) : second;
      if (droidsByName.has(name)) add('droid', name, reason(path, 'droid-config', `part of droid ${name}`));
      else if (change.kind === 'deleted' && name !== 'default') add('droid', name, reason(path, 'droid-config', `deleted: droid ${name} is gone from the checkout`), true);
      else unmapped.push({ path, message: `no droid named "${name}" is discovered` });
      continue;
    }
    if (top === 'modules' && parts.length > 2) {
      if (second === 'nixos') {
        const r = reason(path, 'nixos-module', 'every system imports every NixOS module');
        for (const s of index.systems) add('system', s.name, r);
        continue;
      }
      if (second === 'home') {
        const r = reason(path, 'home-module', 'every home imports every Home Manager module');
        for (const h of index.homes) add('home', h.name, r);
        for (const s of index.systems) if (s.homes.length > 0) add('system', s.name, reason(path, 'home-module', `system ${s.name} has a home attached (${s.homes.join(', ')}), which imports every Home Manager module`));
        for (const d of index.droids) if (d.homes.length > 0) add('droid', d.name, reason(path, 'home-module', `droid ${d.name} has a home attached, which imports every Home Manager module`));
        continue;
      }
      if (second === 'droid') {
        const r = reason(path, 'droid-module', 'every droid imports every Nix-on-Droid module');
        for (const d of index.droids) add('droid', d.name, r);
        continue;
      }
    }
    unmapped.push({ path, message: 'no layout rule maps it to a machine (evaluation can still find one it changes)' });
  }

  const affected: AffectedMachine[] = [...machines.entries()].map(([id, m]) => ({
    id,
    name: m.name,
    kind: m.kind,
    reasons: m.reasons,
    reasonCount: m.count,
    likely: true,
    ...(m.removed ? { removed: true } : {}),
  }));
  affected.sort(byKindAndName);
  return { affected, unmapped };
}

type Add = (kind: MachineKind, name: string, reason: AffectReason, removed?: boolean) => void;

function everything(index: MachineIndex, r: AffectReason, add: Add): void {
  for (const s of index.systems) add('system', s.name, r);
  for (const h of index.homes) add('home', h.name, r);
  for (const d of index.droids) add('droid', d.name, r);
}

interface HomeLookup {
  readonly systemsByName: ReadonlyMap<string, { readonly homes: readonly string[] }>;
  readonly systemsByUser: ReadonlyMap<string, readonly string[]>;
  readonly homeNames: ReadonlySet<string>;
  readonly droidsByName: ReadonlyMap<string, { readonly homes: readonly string[] }>;
}

function mapHome(segment: string, path: string, lookup: HomeLookup, add: Add, unmapped: UnmappedFile[]): void {
  const { user, scope } = splitHome(segment);
  const dir = `homes/${segment}`;
  let found = false;
  if (scope === undefined) {
    for (const host of lookup.systemsByUser.get(user) ?? []) {
      found = true;
      add('system', host, { path, rule: 'base-home', message: `system ${host} imports ${dir} with homes/${user}@${host}` });
    }
    const droid = lookup.droidsByName.get(user);
    if (droid && droid.homes.includes(user)) {
      found = true;
      add('droid', user, { path, rule: 'base-home', message: `droid ${user} imports ${dir} as its home` });
    }
    if (lookup.homeNames.has(user)) {
      found = true;
      add('home', user, { path, rule: 'base-home', message: `${dir} is the base of the standalone home ${user}` });
    }
  } else if (scope === 'global') {
    if (lookup.homeNames.has(user)) {
      found = true;
      add('home', user, { path, rule: 'global-home', message: `${dir} is part of the standalone home ${user}` });
    }
  } else if (scope === 'droid') {
    const droid = lookup.droidsByName.get(user);
    if (droid && droid.homes.includes(segment)) {
      found = true;
      add('droid', user, { path, rule: 'droid-home', message: `droid ${user} imports ${dir}` });
    }
  } else {
    const system = lookup.systemsByName.get(scope);
    if (system && system.homes.includes(segment)) {
      found = true;
      add('system', scope, { path, rule: 'host-home', message: `system ${scope} imports ${dir} as the home of ${user}` });
    }
  }
  if (!found) unmapped.push({ path, message: `${dir} is not imported by any configuration` });
}

/** Sort systems, then homes, then droids, each by name. */
export function byKindAndName(a: { kind: MachineKind; name: string }, b: { kind: MachineKind; name: string }): number {
  const order: Record<MachineKind, number> = { system: 0, home: 1, droid: 2 };
  return order[a.kind] - order[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
