import * as path from 'node:path';
import { readCheckoutFile } from '../checkout/read-file';
import { parse as parseYaml } from 'yaml';
import { normalisePgp, type SopsConfig, type SopsRule } from './sops-config';
import type { InventoryWarning, SecretsFileStatus } from './types';

/** Encrypted files hold whole certificates or binaries; past this one is not read for its metadata. */
const maxSecretsFileBytes = 16 * 1024 * 1024;

/** What a sops-encrypted file says about itself in its `sops:` metadata. Never decrypted. */
export interface SopsMetadata {
  readonly recipients: readonly string[];
  readonly lastModified?: string;
}

function fromMetadataObject(sops: Record<string, unknown>): SopsMetadata {
  const recipients: string[] = [];
  const collect = (node: Record<string, unknown>): void => {
    for (const a of Array.isArray(node.age) ? node.age : []) {
      if (a && typeof (a as Record<string, unknown>).recipient === 'string') recipients.push((a as Record<string, string>).recipient as string);
    }
    for (const p of Array.isArray(node.pgp) ? node.pgp : []) {
      if (p && typeof (p as Record<string, unknown>).fp === 'string') recipients.push(normalisePgp((p as Record<string, string>).fp as string));
    }
  };
  collect(sops);
  for (const group of Array.isArray(sops.key_groups) ? sops.key_groups : []) {
    if (group && typeof group === 'object') collect(group as Record<string, unknown>);
  }
  const lm = sops.lastmodified;
  return { recipients: [...new Set(recipients)], ...(typeof lm === 'string' ? { lastModified: lm } : lm instanceof Date ? { lastModified: lm.toISOString() } : {}) };
}

/**
 * Read the sops metadata of a file (YAML, JSON, dotenv/ini or binary-as-JSON), or
 * undefined when the file is not sops-encrypted. Only the metadata is read.
 */
export function readSopsMetadata(text: string, file: string): SopsMetadata | undefined {
  if (!text.includes('sops')) return undefined;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.env' || ext === '.ini') {
    const recipients: string[] = [];
    let lastModified: string | undefined;
    for (const line of text.split('\n')) {
      const m = /^\s*sops_([A-Za-z0-9_]+?)\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      const [, key = '', value = ''] = m;
      if (/^age__list_\d+__map_recipient$/.test(key)) recipients.push(value.trim());
      else if (/^pgp__list_\d+__map_fp$/.test(key)) recipients.push(normalisePgp(value));
      else if (key === 'lastmodified') lastModified = value.trim();
    }
    return recipients.length > 0 || lastModified ? { recipients, ...(lastModified ? { lastModified } : {}) } : undefined;
  }
  let data: unknown;
  try {
    if (ext === '.yaml' || ext === '.yml') {
      // sops writes its metadata as the top-level `sops:` key, last: parse only that block,
      // not the (possibly large) encrypted values before it.
      const at = text.search(/^sops:[ \t]*(#.*)?$/m);
      data = at >= 0 ? parseYaml(text.slice(at), { maxAliasCount: 1000 }) : undefined;
    } else {
      data = JSON.parse(text);
    }
  } catch {
    return undefined;
  }
  const sops = data && typeof data === 'object' ? (data as Record<string, unknown>).sops : undefined;
  if (!sops || typeof sops !== 'object' || Array.isArray(sops)) return undefined;
  return fromMetadataObject(sops as Record<string, unknown>);
}

/** The first creation rule whose path_regex matches (sops uses the first match), against the path relative to .sops.yaml. */
export function matchRule(rules: readonly SopsRule[], relToConfig: string): SopsRule | undefined {
  return rules.find((r) => !r.matches || r.matches(relToConfig));
}

/**
 * The status of each candidate secrets file: its sops recipients against the matching
 * rule's (missing ones need `sops updatekeys`), and the rules that match no file.
 */
export function sopsStatuses(
  root: string,
  configDir: string | undefined,
  config: SopsConfig | undefined,
  candidates: readonly string[],
): { files: SecretsFileStatus[]; warnings: InventoryWarning[] } {
  const files: SecretsFileStatus[] = [];
  const skipped: InventoryWarning[] = [];
  const rules = config?.rules ?? [];
  const used = new Set<number>();
  for (const rel of candidates) {
    const read = readCheckoutFile(root, path.join(root, rel), maxSecretsFileBytes);
    if (!read.ok) {
      if (read.reason !== 'missing') skipped.push({ severity: 'warning', item: `secret:${rel}`, path: rel, message: `${rel} ${read.detail}.` });
      continue;
    }
    const text = read.text;
    const meta = readSopsMetadata(text, rel);
    const relToConfig = configDir ? path.relative(configDir, path.join(root, rel)).split(path.sep).join('/') : rel;
    const rule = config ? matchRule(rules, relToConfig) : undefined;
    if (rule) used.add(rule.index);
    const warnings: InventoryWarning[] = [];
    const item = `secret:${rel}`;
    if (!meta) {
      // A file a rule covers but sops never encrypted is a plaintext secret in git.
      if (rule) warnings.push({ severity: 'error', item, path: rel, message: `${rel} matches a .sops.yaml rule but is not sops-encrypted (run \`sops encrypt -i ${rel}\`).` });
      else continue;
    }
    const recipients = meta?.recipients ?? [];
    const wanted = rule?.recipients ?? [];
    const missing = wanted.filter((r) => !recipients.includes(r));
    const extra = rule ? recipients.filter((r) => !wanted.includes(r)) : [];
    if (meta && !rule) {
      warnings.push({ severity: 'warning', item, path: rel, message: config ? `No .sops.yaml creation rule matches ${rel}.` : `${rel} is sops-encrypted but the checkout has no .sops.yaml.` });
    }
    if (meta && missing.length > 0) {
      warnings.push({ severity: 'warning', item, path: rel, message: `${rel} is not encrypted for ${missing.length} recipient(s) its rule lists: run \`sops updatekeys ${rel}\`.` });
    }
    if (meta && extra.length > 0) {
      warnings.push({ severity: 'warning', item, path: rel, message: `${rel} is still encrypted for ${extra.length} recipient(s) its rule no longer lists: run \`sops updatekeys ${rel}\`.` });
    }
    const labels: Record<string, string> = {};
    for (const r of [...recipients, ...missing]) {
      const label = config?.labels[r];
      if (label) labels[r] = label;
    }
    files.push({
      path: rel,
      format: 'sops',
      ...(rule ? { rule: rule.pathRegex ?? '(any file)' } : {}),
      recipients,
      missingRecipients: missing,
      extraRecipients: extra,
      ...(meta?.lastModified ? { lastModified: meta.lastModified } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      warnings,
    });
  }
  const warnings: InventoryWarning[] = [...skipped];
  for (const rule of rules) {
    if (!used.has(rule.index)) {
      warnings.push({
        severity: 'info',
        path: configDir ? path.relative(root, path.join(configDir, '.sops.yaml')).split(path.sep).join('/') : '.sops.yaml',
        message: `.sops.yaml rule ${rule.index + 1}${rule.pathRegex ? ` (path_regex ${rule.pathRegex})` : ''} matches no secrets file.`,
      });
    }
  }
  return { files, warnings };
}
