import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitTopOf } from '../checkout/find-up';
import { discoverEntries, type DiscoveredEntry } from './discover';
import { buildHomes } from './homes';
import { detectLayoutRoot } from './layout';
import { deployTargetOf, readMetaFile } from './meta';
import { scanModules, scanTemplates } from './modules';
import { unsafeNameReason } from './names';
import { scanSecrets } from './secrets';
import type { DroidItem, Inventory, InventoryWarning, SystemItem } from './types';
import { hostKeyFileName, readSystemHostKey } from './host-key';

/** Whether `dir` is in a git work tree (a .git here or in a parent), as nix decides between git+file and path. */
export function insideGit(dir: string): boolean {
  return gitTopOf(dir) !== undefined;
}

/** Whether a configuration folder holds meta.json (known from its listing, so no failed open per folder). */
export function hasMeta(entry: DiscoveredEntry): boolean {
  return entry.form === 'directory' && entry.files.includes('meta.json');
}

export interface ScanOptions {
  /** The layout folder set for this checkout in settings (relative to the root). */
  readonly layoutRoot?: string;
}

/**
 * Scan a checkout's folders by the layout's rules: the fast first answer, before nix has
 * said anything (flake state 'pending', items 'unknown'). Never throws for bad content:
 * every problem becomes a warning on the item or the checkout.
 */
export function scanInventory(rootInput: string, options: ScanOptions = {}): Inventory {
  const started = performance.now();
  const root = path.resolve(rootInput);
  const warnings: InventoryWarning[] = [];
  if (!fs.existsSync(path.join(root, 'flake.nix'))) {
    warnings.push({ severity: 'error', path: 'flake.nix', message: `${root} has no flake.nix: nix cannot build anything here. Open the folder that holds flake.nix.` });
  }
  if (!insideGit(root)) {
    warnings.push({ severity: 'warning', message: 'The checkout is not a git repository: deployed revisions and changes cannot be tracked (run `git init` and commit).' });
  }
  const layout = detectLayoutRoot(root, options.layoutRoot);
  const layoutRoot = layout.layoutRoot;
  warnings.push(...layout.warnings);

  const systemsFound = discoverEntries(root, path.join(layoutRoot, 'systems'), 'system');
  // Homes are the most numerous folders and only need the discovery rule, so they are not listed.
  const homesFound = discoverEntries(root, path.join(layoutRoot, 'homes'), 'home', { listFiles: false });
  const droidsFound = discoverEntries(root, path.join(layoutRoot, 'droids'), 'droid');
  warnings.push(...systemsFound.warnings, ...homesFound.warnings, ...droidsFound.warnings);

  const systemNames = new Set(systemsFound.entries.map((e) => e.name));
  const droidNames = new Set(droidsFound.entries.map((e) => e.name));
  const { homes, standalone } = buildHomes(root, homesFound.entries, systemNames, droidNames);
  const homeNames = new Set(homes.map((h) => h.name));
  // Homes by the host they attach to (lib/homelab.nix only attaches overrides of existing base homes).
  const homesByHost = new Map<string, string[]>();
  for (const h of homes) {
    if (h.kind !== 'host' || !h.host || !homeNames.has(h.user)) continue;
    const list = homesByHost.get(h.host) ?? [];
    list.push(h.name);
    homesByHost.set(h.host, list);
  }

  const systems: SystemItem[] = systemsFound.entries.map((entry) => {
    const item = `system:${entry.name}`;
    const meta = readMetaFile(root, hasMeta(entry) ? entry.absolute : undefined, entry.path, 'x86_64-linux', item);
    const { deploy, warnings: deployWarnings } = deployTargetOf(entry.name, meta.meta, `${entry.path}/meta.json`, item);
    const itemWarnings: InventoryWarning[] = [...meta.warnings, ...deployWarnings];
    const unsafe = unsafeNameReason(entry.name);
    if (unsafe) itemWarnings.push({ severity: 'warning', item, path: entry.path, message: `${entry.path}: ${unsafe}; it is shown but cannot be deployed.` });
    const key = entry.files.includes(hostKeyFileName) ? readSystemHostKey(root, entry.absolute, entry.path, item) : { warnings: [] };
    itemWarnings.push(...key.warnings);
    return {
      ...(key.hostKey ? { hostKey: key.hostKey } : {}),
      name: entry.name,
      path: entry.path,
      system: meta.system,
      meta: meta.meta,
      deploy,
      homes: homesByHost.get(entry.name) ?? [],
      flake: 'unknown',
      warnings: itemWarnings,
      files: entry.files,
    };
  });

  const droids: DroidItem[] = droidsFound.entries.map((entry) => {
    const item = `droid:${entry.name}`;
    const meta = readMetaFile(root, hasMeta(entry) ? entry.absolute : undefined, entry.path, 'aarch64-linux', item);
    const itemWarnings: InventoryWarning[] = [...meta.warnings];
    const unsafe = unsafeNameReason(entry.name);
    if (unsafe) itemWarnings.push({ severity: 'warning', item, path: entry.path, message: `${entry.path}: ${unsafe}; it is shown but cannot be deployed.` });
    // lib/homelab.nix mkDroid: the phone imports homes/<name> and homes/<name>@droid.
    const attached = homeNames.has(entry.name) ? [entry.name, ...(homeNames.has(`${entry.name}@droid`) ? [`${entry.name}@droid`] : [])] : [];
    return { name: entry.name, path: entry.path, system: meta.system, meta: meta.meta, homes: attached, flake: 'unknown', warnings: itemWarnings };
  });

  const secrets = scanSecrets(root, layoutRoot, [...systemsFound.entries, ...homesFound.entries, ...droidsFound.entries]);
  warnings.push(...secrets.warnings);

  return {
    root,
    layoutRoot,
    systems,
    homes,
    standaloneHomes: standalone,
    droids,
    modules: scanModules(root, layoutRoot),
    templates: scanTemplates(layoutRoot, root),
    secrets: secrets.secrets,
    warnings,
    flake: { state: 'pending' },
    scanMs: Math.round((performance.now() - started) * 100) / 100,
    revision: 0,
  };
}

