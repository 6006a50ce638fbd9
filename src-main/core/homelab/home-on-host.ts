import { FleetError } from '../contract';
import { unsafeHostReason, unsafeUserReason } from './names';
import type { Inventory } from './types';

/** A standalone home as it lives on a host: what "home:<config>@<host>" names. */
export interface HomeOnHost {
  /** homeConfigurations.<config>. */
  readonly config: string;
  /** The host as the user typed it: a system of the checkout, or an SSH host name. */
  readonly hostName: string;
  /** Where to connect: the system's deploy host, else hostName itself. */
  readonly host: string;
  /** The user whose home it is: `asUser`, else the configuration's name. */
  readonly user: string;
  readonly port?: number;
  readonly tags: readonly string[];
}

/**
 * Resolve "<config>@<host>" (a home deploy target without its "home:" prefix) against the
 * inventory: the deploy and the closure diff reach a home on its host the same way.
 */
export function homeOnHost(inventory: Inventory, text: string, asUser?: string): HomeOnHost {
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
    config,
    hostName,
    host,
    user: asUser ?? config,
    ...(system?.deploy.port ? { port: system.deploy.port } : {}),
    tags: system?.deploy.tags ?? [],
  };
}
