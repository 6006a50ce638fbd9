/**
 * Edit one top-level key of a JSON object file while keeping the rest of the text as it
 * was: other keys, their order, indentation and line breaks. meta.json is committed
 * like any other file, so a settings change must show up as a small, readable diff.
 */

interface Span {
  readonly keyStart: number;
  readonly valueEnd: number;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i] as string)) i++;
  return i;
}

function skipString(text: string, i: number): number {
  // text[i] is the opening quote
  i++;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  throw new Error('unterminated string');
}

function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') {
        i = skipString(text, i);
        continue;
      }
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new Error('unterminated value');
  }
  while (i < text.length && !/[\s,}\]]/.test(text[i] as string)) i++;
  return i;
}

/** Where each top-level key starts and its value ends, in file order. */
function topLevelKeys(text: string): { key: string; span: Span }[] {
  let i = skipWs(text, 0);
  if (text[i] !== '{') throw new Error('not a JSON object');
  i++;
  const keys: { key: string; span: Span }[] = [];
  for (;;) {
    i = skipWs(text, i);
    if (text[i] === '}') return keys;
    if (text[i] !== '"') throw new Error('expected a key');
    const keyStart = i;
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    if (text[i] !== ':') throw new Error('expected ":"');
    i = skipWs(text, i + 1);
    const valueEnd = skipValue(text, i);
    keys.push({ key, span: { keyStart, valueEnd } });
    i = skipWs(text, valueEnd);
    if (text[i] === ',') i++;
  }
}

/** The file's indentation unit and whether it is written on one line. */
function styleOf(text: string): { indent: string; multiline: boolean } {
  const m = /\n([ \t]+)"/.exec(text);
  return { indent: m?.[1] ?? '  ', multiline: text.trim().includes('\n') };
}

function render(value: unknown, indent: string, multiline: boolean, baseIndent: string): string {
  if (!multiline) return JSON.stringify(value);
  return JSON.stringify(value, null, indent).replace(/\n/g, `\n${baseIndent}`);
}

/**
 * Set (value !== undefined) or remove (undefined) top-level `key` of the JSON object in
 * `text`, touching nothing else. Throws when `text` is not a JSON object.
 */
export function setTopLevelKey(text: string, key: string, value: unknown): string {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
  const keys = topLevelKeys(text);
  const { indent, multiline } = styleOf(text);
  const index = keys.findIndex((k) => k.key === key);
  const existing = keys[index];
  if (existing) {
    if (value === undefined) {
      // Remove the key with its separating comma: the one before it, or after it when it is first.
      const prev = keys[index - 1];
      const next = keys[index + 1];
      if (prev) return text.slice(0, prev.span.valueEnd) + text.slice(existing.span.valueEnd);
      if (next) return text.slice(0, existing.span.keyStart) + text.slice(next.span.keyStart);
      const open = text.indexOf('{');
      const close = text.lastIndexOf('}');
      return text.slice(0, open + 1) + (multiline ? '\n' : '') + text.slice(close);
    }
    const lineStart = text.lastIndexOf('\n', existing.span.keyStart) + 1;
    const baseIndent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
    const rendered = `${JSON.stringify(key)}: ${render(value, indent, multiline, baseIndent)}`;
    return text.slice(0, existing.span.keyStart) + rendered + text.slice(existing.span.valueEnd);
  }
  if (value === undefined) return text;
  const last = keys[keys.length - 1];
  const close = text.lastIndexOf('}');
  if (!last) {
    const open = text.indexOf('{');
    // An empty object gets the usual two-space layout.
    return text.slice(0, open + 1) + `\n${indent}${JSON.stringify(key)}: ${render(value, indent, true, indent)}\n` + text.slice(close);
  }
  const lineStart = text.lastIndexOf('\n', last.span.keyStart) + 1;
  const baseIndent = multiline ? (/^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? indent) : '';
  const separator = multiline ? `,\n${baseIndent}` : ', ';
  return text.slice(0, last.span.valueEnd) + separator + `${JSON.stringify(key)}: ${render(value, indent, multiline, baseIndent)}` + text.slice(last.span.valueEnd);
}
