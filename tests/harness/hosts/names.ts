import { readdir, access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertHostName } from './records.js';

/** The example homelab in this checkout, whose systems give lab hosts their names. */
export const FLAKE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../flake');

// The systems the example homelab is meant to have, in the order people meet them.
const PREFERRED = ['zephyrus', 'lg-laptop', 'moonlight', 'docker-node'];

/** NixOS system names of a homelab checkout (systems/<host>/default.nix or systems/<host>.nix), by the discovery rule. */
export async function flakeSystemNames(flakeDir: string = FLAKE_DIR): Promise<readonly string[]> {
  const systems = path.join(flakeDir, 'systems');
  const entries = await readdir(systems, { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) {
      const hasDefault = await access(path.join(systems, entry.name, 'default.nix')).then(() => true, () => false);
      if (hasDefault) names.push(entry.name);
    } else if (entry.isFile() && entry.name.endsWith('.nix') && entry.name !== 'default.nix') {
      names.push(entry.name.slice(0, -'.nix'.length));
    }
  }
  const rank = (name: string): number => {
    const i = PREFERRED.indexOf(name);
    return i === -1 ? PREFERRED.length : i;
  };
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * Names for `count` lab hosts: the homelab's systems first (the four planned ones when flake/
 * has none yet), then host-05, host-06, ... numbered by position.
 */
export async function labHostNames(count: number, flakeDir?: string): Promise<readonly string[]> {
  const found = (await flakeSystemNames(flakeDir)).filter((name) => /^[a-z0-9][a-z0-9-]{0,30}$/.test(name));
  const systems = found.length > 0 ? found : PREFERRED;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    names.push(systems[i] ?? `host-${String(i + 1).padStart(2, '0')}`);
  }
  names.forEach(assertHostName);
  return names;
}
