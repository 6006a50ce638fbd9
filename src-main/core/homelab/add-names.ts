import { assertNever, FleetError } from '../contract';
import type { AddKind } from './add-template';
import { classifyHome } from './homes';
import { unsafeHostReason, unsafeNameReason, unsafeUserReason } from './names';
import type { Inventory } from './types';

/** Where a new configuration goes and what the flake must then answer for it. */
export interface AddTarget {
  readonly kind: AddKind;
  /** The folder's name in systems/, homes/ or droids/ (e.g. "alice@docker-node"). */
  readonly entryName: string;
  /** What replaces the template's placeholder inside the files (the host, user or phone name). */
  readonly replacement: string;
  /** The flake attribute whose derivation proves the new configuration is wired in. */
  readonly checkAttribute: string;
}

/** Why `name` cannot be a configuration folder that discovery turns into an attribute name, or undefined. */
function discoveryReason(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name.length > 63) return `the name "${name}" is longer than 63 characters (it becomes a host name)`;
  if (name.startsWith('.')) return `the name "${name}" starts with "." (the folder would be hidden)`;
  if (name === 'default' || name.endsWith('.nix')) return `"${name}" is not a configuration name (discovery treats default.nix and *.nix files specially)`;
  return unsafeNameReason(name);
}

function refuse(message: string, hint?: string): never {
  throw new FleetError('invalid-input', message, hint ? { hint } : {});
}

/**
 * Check a new configuration's name the way discovery and the flake will see it, and that
 * it names nothing the checkout already has; answer where it goes and how to check it.
 */
export function addTarget(kind: AddKind, name: string, inventory: Inventory): AddTarget {
  switch (kind) {
    case 'system': {
      const reason = discoveryReason(name) ?? (name.includes('@') ? `the name "${name}" contains "@"` : undefined);
      if (reason) refuse(`Cannot add system "${name}": ${reason}.`);
      if (inventory.systems.some((s) => s.name === name)) refuse(`There is already a system named "${name}" (${inventory.systems.find((s) => s.name === name)?.path}).`);
      return { kind, entryName: name, replacement: name, checkAttribute: `nixosConfigurations.${name}.config.system.build.toplevel` };
    }
    case 'droid': {
      const reason = discoveryReason(name) ?? (name.includes('@') ? `the name "${name}" contains "@"` : undefined);
      if (reason) refuse(`Cannot add droid "${name}": ${reason}.`);
      if (inventory.droids.some((d) => d.name === name)) refuse(`There is already a droid named "${name}" (${inventory.droids.find((d) => d.name === name)?.path}).`);
      return { kind, entryName: name, replacement: name, checkAttribute: `nixOnDroidConfigurations.${name}.activationPackage` };
    }
    case 'home': {
      const { user, kind: homeKind, host } = classifyHome(name);
      const reason = discoveryReason(user) ?? unsafeUserReason(user) ?? (user.includes('@') ? `"${user}" contains "@"` : undefined);
      if (reason) refuse(`Cannot add home "${name}": ${reason}.`);
      if (inventory.homes.some((h) => h.name === name)) refuse(`There is already a home named "${name}" (${inventory.homes.find((h) => h.name === name)?.path}).`);
      const hasBase = inventory.homes.some((h) => h.name === user && h.kind === 'base');
      if (homeKind !== 'base' && !hasBase) {
        refuse(`Cannot add home "${name}": it extends homes/${user}, which does not exist, so the flake would ignore it.`, `Add the base home first: fleet add home ${user}`);
      }
      switch (homeKind) {
        case 'base':
        case 'global':
          return { kind, entryName: name, replacement: user, checkAttribute: `homeConfigurations.${user}.activationPackage` };
        case 'droid':
          if (!inventory.droids.some((d) => d.name === user)) refuse(`Cannot add home "${name}": no droid named "${user}" would import it.`, `A phone imports homes/<name>@droid when the droid has the same name; add the droid first: fleet add droid ${user}`);
          return { kind, entryName: name, replacement: user, checkAttribute: `nixOnDroidConfigurations.${user}.activationPackage` };
        case 'host': {
          const hostName = host ?? '';
          const hostReason = hostName === '' ? 'the host part after "@" is empty' : (unsafeNameReason(hostName) ?? unsafeHostReason(hostName));
          if (hostReason) refuse(`Cannot add home "${name}": ${hostReason}.`);
          if (!inventory.systems.some((s) => s.name === hostName)) {
            refuse(`Cannot add home "${name}": there is no system named "${hostName}" to import it (systems: ${inventory.systems.map((s) => s.name).join(', ') || 'none'}).`);
          }
          return { kind, entryName: name, replacement: user, checkAttribute: `nixosConfigurations.${hostName}.config.system.build.toplevel` };
        }
        default:
          return assertNever(homeKind, 'home kind');
      }
    }
    default:
      return assertNever(kind, 'kind');
  }
}
