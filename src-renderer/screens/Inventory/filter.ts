/**
 * Filtering the inventory lists: free text matches the name (and path), `arch:` and
 * `tag:` terms narrow by architecture and deploy tag, like a search box people know.
 * Pure functions, so they are tested without a browser and cost nothing per keystroke.
 */

export interface Filterable {
  readonly name: string;
  readonly arch: string;
  readonly tags: readonly string[];
  /** Extra text a free-text term also matches (path, deploy host). */
  readonly text: string;
}

export interface ParsedQuery {
  readonly words: readonly string[];
  readonly arch: readonly string[];
  readonly tags: readonly string[];
}

/** Split "moon arch:aarch64 tag:server" into free words and field terms, lower-cased. */
export function parseQuery(query: string): ParsedQuery {
  const words: string[] = [];
  const arch: string[] = [];
  const tags: string[] = [];
  for (const raw of query.toLowerCase().split(/\s+/)) {
    if (!raw) continue;
    if (raw.startsWith('arch:') && raw.length > 5) arch.push(raw.slice(5));
    else if (raw.startsWith('tag:') && raw.length > 4) tags.push(raw.slice(4));
    else words.push(raw);
  }
  return { words, arch, tags };
}

/** Whether an item passes the query and the arch/tag selectors ('' = any). */
export function matches(item: Filterable, query: ParsedQuery, arch: string, tag: string): boolean {
  if (arch && item.arch !== arch) return false;
  if (tag && !item.tags.includes(tag)) return false;
  const name = item.name.toLowerCase();
  const text = item.text.toLowerCase();
  for (const word of query.words) if (!name.includes(word) && !text.includes(word)) return false;
  const itemArch = item.arch.toLowerCase();
  for (const a of query.arch) if (!itemArch.includes(a)) return false;
  for (const t of query.tags) if (!item.tags.some((x) => x.toLowerCase() === t)) return false;
  return true;
}

/** The items passing the filter, in their order. */
export function filterItems<T extends Filterable>(items: readonly T[], query: string, arch = '', tag = ''): T[] {
  const parsed = parseQuery(query);
  if (!arch && !tag && parsed.words.length === 0 && parsed.arch.length === 0 && parsed.tags.length === 0) return [...items];
  return items.filter((item) => matches(item, parsed, arch, tag));
}

/** The distinct values of a field across items, sorted, for the selectors. */
export function distinct(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}
