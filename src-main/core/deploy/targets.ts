import { FleetError } from '../contract';
import { scanInventory } from '../homelab/scan';
import type { Inventory } from '../homelab/types';
import { unsafeHostReason, unsafeUserReason } from '../homelab/names';
import type { DeployTargetSpec } from './types';

/**
 * Turn what the user typed into deploy targets: system names, `@tag` (systems whose
 * meta.json deploy.tags has it), `all`, and `home:<config>@<host>` (a standalone Home
 * Manager configuration on a host, as the user who owns it, or `asUser`).
 */
export function resolveTargets(inventory: Inventory, selectors: readonly string[], options: { asUser?: string } = {}): DeployTargetSpec[] {
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
    return {
      id: name,
      kind: 'system',
      config: name,
      host: item.deploy.host,
      ...(item.deploy.user ? { user: item.deploy.user } : {}),
      ...(item.deploy.port ? { port: item.deploy.port } : {}),
      sudo: item.deploy.sudo,
      buildOnTarget: item.deploy.buildOnTarget,
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
    } else {
      add(systemSpec(selector));
    }
  }
  if (out.size === 0) throw new FleetError('invalid-input', 'Nothing to deploy: name a system, @tag, all, or home:<user>@<host>.');
  return [...out.values()];
}

function homeSpec(inventory: Inventory, text: string, asUser?: string): DeployTargetSpec {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) {
    throw new FleetError('invalid-input', `"home:${text}" is not home:<config>@<host>, e.g. home:soriphoono@moonlight.`);
  }
  const config = text.slice(0, at);
  const hostName = text.slice(at + 1);
  const known = inventory.standaloneHomes.map((h) => h.name);
  if (!known.includes(config)) {
    throw new FleetError('not-found', `No standalone home "${config}" (homeConfigurations: ${known.join(', ') || 'none'}).`);
  }
  const system = inventory.systems.find((s) => s.name === hostName);
  const host = system?.deploy.host ?? hostName;
  const reason = unsafeHostReason(host) ?? unsafeUserReason(asUser ?? config);
  if (reason) throw new FleetError('invalid-input', `home:${text} cannot be deployed: ${reason}.`);
  return {
    id: `home:${config}@${hostName}`,
    kind: 'home',
    config,
    host,
    user: asUser ?? config,
    ...(system?.deploy.port ? { port: system.deploy.port } : {}),
    sudo: false,
    buildOnTarget: false,
    tags: system?.deploy.tags ?? [],
    checks: [],
  };
}

/** The inventory's fast scan, for resolving targets without waiting for nix. */
export function scanForDeploy(root: string, layoutRoot?: string): Inventory {
  return scanInventory(root, layoutRoot ? { layoutRoot } : {});
}
