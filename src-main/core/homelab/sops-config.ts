import { RE2JS } from 're2js';
import { parseDocument, visit } from 'yaml';
import type { InventoryWarning } from './types';

/** One creation rule of .sops.yaml, with its recipients flattened and normalised. */
export interface SopsRule {
  readonly index: number;
  /** The rule's path_regex as written; undefined for a catch-all rule. */
  readonly pathRegex?: string;
  /**
   * Whether the rule's path_regex matches a path. Runs on RE2 (re2js), the engine sops
   * itself uses (Go's regexp): linear time, so a rule like `(a+)+$` in a checkout cannot
   * hang the app on a long file name the way a backtracking RegExp would.
   */
  readonly matches?: (relPath: string) => boolean;
  readonly recipients: readonly string[];
}

export interface SopsConfig {
  readonly rules: readonly SopsRule[];
  /** recipient -> the YAML anchor it was declared under (e.g. &admin_alice), for display. */
  readonly labels: Readonly<Record<string, string>>;
  readonly warnings: readonly InventoryWarning[];
}

/** A pgp fingerprint compared the way sops does: no spaces, upper case. */
export function normalisePgp(fp: string): string {
  return fp.replace(/\s+/g, '').toUpperCase();
}

function listOf(value: unknown): string[] {
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(value)) return value.flatMap((v) => listOf(v));
  return [];
}

/** Recipients of a rule (or of a key group): age keys as written, pgp fingerprints normalised. */
function recipientsOf(node: Record<string, unknown>): string[] {
  const out = [...listOf(node.age), ...listOf(node.pgp).map(normalisePgp)];
  if (Array.isArray(node.key_groups)) {
    for (const group of node.key_groups) {
      if (group && typeof group === 'object') out.push(...recipientsOf(group as Record<string, unknown>));
    }
  }
  return [...new Set(out)];
}

/**
 * Parse .sops.yaml: `keys` (usually declared with YAML anchors and referenced with
 * aliases), `creation_rules` with path_regex, age/pgp lists or comma strings, and
 * key_groups. Nothing here is fatal: problems become warnings on the secrets status.
 */
export function parseSopsConfig(text: string, rel: string): SopsConfig {
  try {
    return parseSopsConfigText(text, rel);
  } catch (error) {
    // The yaml parser recurses per nesting level: a hostile file overflows the stack. A warning, never a crash.
    const why = error instanceof RangeError ? 'it nests too deeply' : (error as Error).message;
    return { rules: [], labels: {}, warnings: [{ severity: 'error', path: rel, message: `${rel} cannot be read (${why}); sops rules are not checked.` }] };
  }
}

/** The longest path_regex compiled; a real one is a few dozen characters. */
const maxPathRegexLength = 2048;

function parseSopsConfigText(text: string, rel: string): SopsConfig {
  const warnings: InventoryWarning[] = [];
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first?.linePos?.[0]?.line;
    return {
      rules: [],
      labels: {},
      warnings: [{ severity: 'error', path: rel, message: `${rel} is not valid YAML${line ? ` (line ${line})` : ''}: ${first?.message.split('\n')[0] ?? 'parse error'}` }],
    };
  }
  const labels: Record<string, string> = {};
  visit(doc, {
    Scalar(_key, node) {
      if (node.anchor && typeof node.value === 'string') {
        const value = node.value.startsWith('age1') ? node.value : normalisePgp(node.value);
        labels[value] = node.anchor;
      }
    },
  });
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10_000 });
  } catch (error) {
    return { rules: [], labels, warnings: [{ severity: 'error', path: rel, message: `${rel} cannot be read: ${(error as Error).message}` }] };
  }
  if (data === null || data === undefined) {
    return { rules: [], labels, warnings: [{ severity: 'warning', path: rel, message: `${rel} is empty.` }] };
  }
  const creation = (data as Record<string, unknown>).creation_rules;
  if (!Array.isArray(creation)) {
    return { rules: [], labels, warnings: [{ severity: 'warning', path: rel, message: `${rel} has no creation_rules list.` }] };
  }
  const rules: SopsRule[] = [];
  creation.forEach((raw, index) => {
    if (!raw || typeof raw !== 'object') {
      warnings.push({ severity: 'warning', path: rel, message: `${rel}: creation rule ${index + 1} is not a mapping.` });
      return;
    }
    const rule = raw as Record<string, unknown>;
    const pathRegex = typeof rule.path_regex === 'string' ? rule.path_regex : undefined;
    let matches: ((relPath: string) => boolean) | undefined;
    if (pathRegex !== undefined) {
      if (pathRegex.length > maxPathRegexLength) {
        warnings.push({ severity: 'warning', path: rel, message: `${rel}: path_regex of rule ${index + 1} is longer than ${maxPathRegexLength} characters; the rule is ignored.` });
        return;
      }
      try {
        const compiled = RE2JS.compile(pathRegex);
        matches = (relPath) => compiled.matcher(relPath).find();
      } catch (error) {
        warnings.push({ severity: 'warning', path: rel, message: `${rel}: path_regex "${pathRegex}" of rule ${index + 1} is not a valid regular expression (${(error as Error).message}); the rule is ignored.` });
        return;
      }
    }
    rules.push({ index, ...(pathRegex !== undefined ? { pathRegex } : {}), ...(matches ? { matches } : {}), recipients: recipientsOf(rule) });
  });
  return { rules, labels, warnings };
}

