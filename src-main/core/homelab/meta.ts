import * as path from 'node:path';
import { readCheckoutFile } from '../checkout/read-file';
import { parseDeployChecks } from './deploy-checks';
import { buildHostReason, unsafeHostReason, unsafeNameReason, unsafeUserReason } from './names';
import type { DeployTarget, InventoryWarning } from './types';

export interface ReadMeta {
  readonly meta: Readonly<Record<string, unknown>>;
  readonly system: string;
  readonly warnings: readonly InventoryWarning[];
}

/** Deeper than this, meta.json is not a hand-written settings file (and would overflow JSON.stringify on its way to the UI). */
const maxMetaDepth = 32;

/** How deeply `value` nests, counting only up to `limit + 1` (iterative: a deep value cannot overflow the stack here). */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    if (v && typeof v === 'object') for (const child of Object.values(v)) stack.push({ v: child, d: d + 1 });
  }
  return deepest;
}

/**
 * Read meta.json in a configuration folder the way lib/default.nix `readMeta` does:
 * `{system = default} // meta`. A file that is not a JSON object, or whose `system` is
 * not a string, gives a warning and the defaults (nix evaluation would fail on it). Only
 * a regular file inside the checkout, up to 1 MB and 32 levels deep, is read.
 */
export function readMetaFile(root: string, dirAbs: string | undefined, dirRel: string, defaultSystem: string, item: string): ReadMeta {
  if (!dirAbs) return { meta: {}, system: defaultSystem, warnings: [] };
  const rel = `${dirRel}/meta.json`;
  const read = readCheckoutFile(root, path.join(dirAbs, 'meta.json'));
  if (!read.ok) {
    if (read.reason === 'missing') return { meta: {}, system: defaultSystem, warnings: [] };
    return { meta: {}, system: defaultSystem, warnings: [{ severity: 'error', item, path: rel, message: `${rel} ${read.detail}; using defaults.` }] };
  }
  const text = read.text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      meta: {},
      system: defaultSystem,
      warnings: [{ severity: 'error', item, path: rel, message: `${rel} is not valid JSON (${(error as Error).message}); using defaults.` }],
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return {
      meta: {},
      system: defaultSystem,
      warnings: [{ severity: 'error', item, path: rel, message: `${rel} must hold a JSON object such as {"system": "x86_64-linux"}.` }],
    };
  }
  if (nestingDepth(parsed, maxMetaDepth) > maxMetaDepth) {
    return {
      meta: {},
      system: defaultSystem,
      warnings: [{ severity: 'error', item, path: rel, message: `${rel} nests more than ${maxMetaDepth} levels deep; using defaults.` }],
    };
  }
  const meta = parsed as Record<string, unknown>;
  if ('system' in meta && typeof meta.system !== 'string') {
    return {
      meta,
      system: defaultSystem,
      warnings: [
        {
          severity: 'error',
          item,
          path: rel,
          message: `${rel}: "system" must be a string such as "x86_64-linux" (found ${JSON.stringify(meta.system)}); nix evaluation will fail.`,
        },
      ],
    };
  }
  return { meta, system: typeof meta.system === 'string' ? meta.system : defaultSystem, warnings: [] };
}

/**
 * The deploy target of a system: meta.json `deploy` with defaults (the system's name as
 * the SSH host, so ~/.ssh/config aliases and MagicDNS names work). Wrong field types are
 * warnings; names ssh or nix would misread make the target `refused` with the reason.
 */
export function deployTargetOf(name: string, meta: Readonly<Record<string, unknown>>, metaRel: string, item: string): { deploy: DeployTarget; warnings: InventoryWarning[] } {
  const warnings: InventoryWarning[] = [];
  const warn = (message: string): void => {
    warnings.push({ severity: 'warning', item, path: metaRel, message: `${metaRel}: ${message}` });
  };
  const raw = meta.deploy;
  let d: Record<string, unknown> = {};
  if (raw !== undefined) {
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) d = raw as Record<string, unknown>;
    else warn('"deploy" must be an object such as {"host": "moonlight.lan"}; it is ignored.');
  }
  const str = (key: string): string | undefined => {
    const v = d[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v.length > 0) return v;
    warn(`"deploy.${key}" must be a non-empty string; it is ignored.`);
    return undefined;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = d[key];
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    warn(`"deploy.${key}" must be true or false; using ${fallback}.`);
    return fallback;
  };
  const host = str('host') ?? name;
  const user = str('user');
  let port: number | undefined;
  if (d.port !== undefined) {
    if (typeof d.port === 'number' && Number.isInteger(d.port) && d.port >= 1 && d.port <= 65535) port = d.port;
    else warn(`"deploy.port" must be a whole number from 1 to 65535 (found ${JSON.stringify(d.port)}); it is ignored.`);
  }
  let tags: string[] = [];
  if (d.tags !== undefined) {
    if (Array.isArray(d.tags) && d.tags.every((t) => typeof t === 'string')) tags = d.tags as string[];
    else warn('"deploy.tags" must be a list of strings; it is ignored.');
  }
  const buildHostText = str('buildHost');
  const buildHostProblem = buildHostText !== undefined ? buildHostReason(buildHostText) : undefined;
  if (buildHostProblem) warn(`"deploy.buildHost": ${buildHostProblem}; it is ignored.`);
  const buildHost = buildHostProblem ? undefined : buildHostText;
  const checks = parseDeployChecks(d.checks, metaRel);
  if (checks.error) warnings.push({ severity: 'error', item, path: metaRel, message: checks.error });
  const refused = unsafeNameReason(name) ?? unsafeHostReason(host) ?? (user !== undefined ? unsafeUserReason(user) : undefined) ?? checks.error;
  return {
    deploy: {
      host,
      ...(user !== undefined ? { user } : {}),
      ...(port !== undefined ? { port } : {}),
      tags,
      buildOnTarget: bool('buildOnTarget', false),
      ...(buildHost !== undefined ? { buildHost } : {}),
      sudo: bool('sudo', user !== undefined && user !== 'root'),
      checks: checks.checks,
      ...(refused ? { refused: `Cannot deploy: ${refused}.` } : {}),
    },
    warnings,
  };
}
