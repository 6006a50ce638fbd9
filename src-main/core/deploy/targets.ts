import { FleetError } from '../contract';
import { scanInventory } from '../homelab/scan';
import type { Inventory } from '../homelab/types';
import { homeOnHost } from '../homelab/home-on-host';
import type { PhoneRoute } from '../android/types';
import type { DeployTargetSpec } from './types';

/** How droid targets reach their phone, before the phone is found (deploy start resolves the route). */
export interface DroidSelection {
  readonly route?: PhoneRoute;
  readonly source?: 'head' | 'worktree';
  readonly buildOn?: 'phone' | 'laptop';
  readonly user?: string;
  readonly identityFile?: string;
}

/** The name a phone's target goes by: "adb:<serial>" on adb, its host name on the network. */
export function phoneHost(route: PhoneRoute): string {
  return route.kind === 'adb' ? `adb:${route.serial}` : route.host;
}

/**
 * Turn what the user typed into deploy targets: system names, `@tag` (systems whose
 * meta.json deploy.tags has it), `all`, `home:<config>@<host>` (a standalone Home
 * Manager configuration on a host, as the user who owns it, or `asUser`), and
 * `droid:<name>` (a Nix-on-Droid configuration on its phone: `droid.route`, or the linked
 * phone found when the deploy starts).
 */
export function resolveTargets(
  inventory: Inventory,
  selectors: readonly string[],
  options: { asUser?: string; defaultBuildHost?: string; droid?: DroidSelection } = {},
): DeployTargetSpec[] {
  const out = new Map<string, DeployTargetSpec>();
  const systems = inventory.systems;
  const add = (spec: DeployTargetSpec) => out.set(spec.id, spec);
  const systemSpec = (name: string): DeployTargetSpec => {
    const item = systems.find((s) => s.name === name);
    if (!item) {
      const known = systems.map((s) => s.name).join(', ') || 'none';
      throw new FleetError('not-found', `No system named "${name}" in ${inventory.root} (systems: ${known}).`);
    }
    if (item.deploy.refused) throw new FleetError('invalid-input', `${name} cannot be deployed: ${item.deploy.refused}.`);
    // A host that builds for itself needs no build host; the settings' default fills in for the rest.
    const buildHost = item.deploy.buildOnTarget ? undefined : (item.deploy.buildHost ?? options.defaultBuildHost);
    return {
      id: name,
      kind: 'system',
      config: name,
      host: item.deploy.host,
      ...(item.deploy.user ? { user: item.deploy.user } : {}),
      ...(item.deploy.port ? { port: item.deploy.port } : {}),
      sudo: item.deploy.sudo,
      buildOnTarget: item.deploy.buildOnTarget,
      ...(buildHost !== undefined && buildHost !== item.deploy.host ? { buildHost } : {}),
      tags: item.deploy.tags,
      checks: item.deploy.checks,
    };
  };
  for (const raw of selectors) {
    const selector = raw.trim();
    if (selector === 'all' || selector === '@all') {
      for (const s of systems) if (!s.deploy.refused) add(systemSpec(s.name));
    } else if (selector.startsWith('@')) {
      const tag = selector.slice(1);
      const tagged = systems.filter((s) => s.deploy.tags.includes(tag) && !s.deploy.refused);
      if (tagged.length === 0) throw new FleetError('not-found', `No system has the tag "${tag}" (set "deploy": {"tags": ["${tag}"]} in its meta.json).`);
      for (const s of tagged) add(systemSpec(s.name));
    } else if (selector.startsWith('home:')) {
      add(homeSpec(inventory, selector.slice(5), options.asUser));
    } else if (selector.startsWith('droid:')) {
      add(droidSpec(inventory, selector.slice(6), options.droid ?? {}));
    } else {
      add(systemSpec(selector));
    }
  }
  if (out.size === 0) throw new FleetError('invalid-input', 'Nothing to deploy: name a system, @tag, all, home:<user>@<host> or droid:<name>.');
  return [...out.values()];
}

function homeSpec(inventory: Inventory, text: string, asUser?: string): DeployTargetSpec {
  const home = homeOnHost(inventory, text, asUser);
  return {
    id: `home:${home.config}@${home.hostName}`,
    kind: 'home',
    config: home.config,
    host: home.host,
    user: home.user,
    ...(home.port ? { port: home.port } : {}),
    sudo: false,
    buildOnTarget: false,
    tags: home.tags,
    checks: [],
  };
}

function droidSpec(inventory: Inventory, name: string, selection: DroidSelection): DeployTargetSpec {
  const known = inventory.droids.map((d) => d.name);
  if (!known.includes(name)) {
    throw new FleetError('not-found', `There is no droid ${name} in ${inventory.root} (droids: ${known.join(', ') || 'none'}).`, {
      hint: 'See the Droids screen or `fleet inventory` for the droid names.',
    });
  }
  const buildOn = selection.buildOn ?? 'phone';
  const route = selection.route;
  return {
    id: `droid:${name}`,
    kind: 'droid',
    config: name,
    // Without a route yet: the droid's linked phone, found when the deploy starts (withPhoneRoute).
    host: route ? phoneHost(route) : `the phone linked to ${name}`,
    user: selection.user ?? 'nix-on-droid',
    ...(route?.kind === 'network' ? { port: route.port } : {}),
    sudo: false,
    buildOnTarget: buildOn === 'phone',
    tags: [],
    checks: [],
    phone: { ...(route ? { route } : {}), source: selection.source ?? 'head', buildOn, ...(selection.identityFile ? { identityFile: selection.identityFile } : {}) },
  };
}

/** A droid target with its phone found: the route given, or the one connected phone linked to the droid. */
export function withPhoneRoute(spec: DeployTargetSpec, route: PhoneRoute): DeployTargetSpec {
  if (!spec.phone) return spec;
  const { port: _port, ...rest } = spec;
  return { ...rest, host: phoneHost(route), ...(route.kind === 'network' ? { port: route.port } : {}), phone: { ...spec.phone, route } };
}

/** The inventory's fast scan, for resolving targets without waiting for nix. */
export function scanForDeploy(root: string, layoutRoot?: string): Inventory {
  return scanInventory(root, layoutRoot ? { layoutRoot } : {});
}
