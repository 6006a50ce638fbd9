import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCheckoutFile } from '../checkout/read-file';
import { readAgenixSecrets } from './agenix';
import type { DiscoveredEntry } from './discover';
import { parseSopsConfig, type SopsConfig } from './sops-config';
import { sopsStatuses } from './sops-files';
import type { InventoryWarning, SecretsFileStatus } from './types';

const secretsName = /(^|[._-])secrets?([._-][^/]*)?\.(ya?ml|json|env|ini|bin)$|\.sops\.[^/]+$|\.enc\.[^/]+$/i;

function walkFiles(dirAbs: string, root: string, out: string[], depth = 0): void {
  if (depth > 16) return;
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(dirAbs, { withFileTypes: true });
  } catch {
    return;
  }
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue;
    const abs = path.join(dirAbs, d.name);
    if (d.isDirectory()) walkFiles(abs, root, out, depth + 1);
    else if (d.isFile()) out.push(path.relative(root, abs).split(path.sep).join('/'));
  }
}

/**
 * Where secrets live: everything under a secrets/ folder (of the checkout or the layout
 * folder), and secrets.yaml-like or *.sops.* files beside configurations. The whole
 * checkout is not walked: that would make the scan as slow as the biggest module tree.
 */
export function secretCandidates(root: string, layoutRoot: string, configurations: readonly DiscoveredEntry[]): string[] {
  const out: string[] = [];
  for (const base of new Set([root, layoutRoot])) {
    walkFiles(path.join(base, 'secrets'), root, out);
    try {
      for (const name of fs.readdirSync(base)) if (secretsName.test(name)) out.push(path.relative(root, path.join(base, name)).split(path.sep).join('/'));
    } catch {
      // no such folder
    }
  }
  for (const entry of configurations) {
    for (const file of entry.files) if (secretsName.test(file)) out.push(`${entry.path}/${file}`);
  }
  return [...new Set(out)].filter((p) => !p.endsWith('.nix') && !p.endsWith('.age') && !p.endsWith('.pub')).sort();
}

/**
 * The secrets status of the checkout: sops files against .sops.yaml, and agenix's
 * secrets.nix read statically. Nothing is ever decrypted.
 */
export function scanSecrets(root: string, layoutRoot: string, configurations: readonly DiscoveredEntry[]): { secrets: SecretsFileStatus[]; warnings: InventoryWarning[] } {
  const warnings: InventoryWarning[] = [];
  const secrets: SecretsFileStatus[] = [];
  let config: SopsConfig | undefined;
  let configDir: string | undefined;
  for (const base of new Set([root, layoutRoot])) {
    const file = path.join(base, '.sops.yaml');
    const rel = path.relative(root, file).split(path.sep).join('/');
    const read = readCheckoutFile(root, file);
    if (!read.ok) {
      if (read.reason !== 'missing') warnings.push({ severity: 'warning', path: rel, message: `${rel} ${read.detail}; sops rules are not checked.` });
      continue;
    }
    configDir = base;
    config = parseSopsConfig(read.text, rel);
    warnings.push(...config.warnings);
    break;
  }
  const sops = sopsStatuses(root, configDir, config, secretCandidates(root, layoutRoot, configurations));
  secrets.push(...sops.files);
  warnings.push(...sops.warnings);
  const agenixPlaces = [...new Set([root, layoutRoot])].flatMap((b) => [path.join(b, 'secrets.nix'), path.join(b, 'secrets', 'secrets.nix')]);
  for (const file of agenixPlaces) {
    if (!fs.existsSync(file)) continue;
    const agenix = readAgenixSecrets(root, file);
    secrets.push(...agenix.files);
    warnings.push(...agenix.warnings);
  }
  return { secrets, warnings };
}
