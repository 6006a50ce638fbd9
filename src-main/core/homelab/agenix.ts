import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCheckoutFile } from '../checkout/read-file';
import type { InventoryWarning, SecretsFileStatus } from './types';

type Token = { readonly kind: 'string' | 'ident' | 'symbol' | 'number'; readonly text: string; readonly line: number };

class NotStatic extends Error {}

/** Deeper than this a secrets.nix is not the plain form this reader knows (and could exhaust the stack). */
const maxNesting = 64;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new NotStatic(`unterminated comment at line ${line}`);
      line += text.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new NotStatic(`unterminated string at line ${line}`);
        const ch = text[i] as string;
        if (ch === '"') break;
        if (ch === '$' && text[i + 1] === '{') throw new NotStatic(`string interpolation at line ${line}`);
        if (ch === '\\') {
          const next = text[i + 1] ?? '';
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          i += 2;
          continue;
        }
        if (ch === '\n') line++;
        value += ch;
        i++;
      }
      i++;
      tokens.push({ kind: 'string', text: value, line });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_'-]*/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'ident', text: m[0], line });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'number', text: m[0], line });
      i += m[0].length;
    } else if (c === '+' && text[i + 1] === '+') {
      tokens.push({ kind: 'symbol', text: '++', line });
      i += 2;
    } else if ('{}[]=;.'.includes(c)) {
      tokens.push({ kind: 'symbol', text: c, line });
      i++;
    } else {
      throw new NotStatic(`"${c}" at line ${line}`);
    }
  }
  return tokens;
}

type Value = string | readonly string[] | boolean | number | { readonly [k: string]: Value };

/** A tiny reader for the plain form of agenix secrets.nix: let-bound strings and lists, `++`, an attribute set. */
class Reader {
  private pos = 0;
  readonly vars = new Map<string, Value>();
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new NotStatic('unexpected end of file');
    return t;
  }
  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text || t.kind === 'string') throw new NotStatic(`expected "${text}" at line ${t.line}, found "${t.text}"`);
  }
  private isSymbol(text: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === 'symbol' && t.text === text;
  }

  file(): Record<string, Value> {
    const t = this.peek();
    if (t?.kind === 'ident' && t.text === 'let') {
      this.next();
      while (!(this.peek()?.kind === 'ident' && this.peek()?.text === 'in')) {
        const name = this.next();
        if (name.kind !== 'ident') throw new NotStatic(`expected a name at line ${name.line}`);
        this.expect('=');
        this.vars.set(name.text, this.expr());
        this.expect(';');
      }
      this.next();
    }
    const result = this.attrs();
    if (this.pos !== this.tokens.length) throw new NotStatic(`unexpected "${this.peek()?.text}" at line ${this.peek()?.line}`);
    return result as Record<string, Value>;
  }

  /** Nesting levels open now; a real secrets.nix has two or three. */
  private depth = 0;

  private enter(line: number): void {
    if (++this.depth > maxNesting) throw new NotStatic(`nesting deeper than ${maxNesting} levels at line ${line}`);
  }

  private attrs(): { [k: string]: Value } {
    this.enter(this.peek()?.line ?? 0);
    this.expect('{');
    const out: { [k: string]: Value } = {};
    while (!this.isSymbol('}')) {
      const keyPath = [this.key()];
      while (this.isSymbol('.')) {
        this.next();
        keyPath.push(this.key());
      }
      this.expect('=');
      const value = this.isSymbol('{') ? this.attrs() : this.expr();
      this.expect(';');
      let target = out;
      keyPath.forEach((k, index) => {
        if (index === keyPath.length - 1) {
          const existing = target[k];
          target[k] = existing && typeof existing === 'object' && !Array.isArray(existing) && typeof value === 'object' && !Array.isArray(value) ? { ...existing, ...(value as object) } : value;
        } else {
          const existing = target[k];
          const child = existing && typeof existing === 'object' && !Array.isArray(existing) ? { ...(existing as object) } : {};
          target[k] = child;
          target = child as { [k: string]: Value };
        }
      });
    }
    this.next();
    this.depth--;
    return out;
  }

  private key(): string {
    const t = this.next();
    if (t.kind === 'string' || t.kind === 'ident') return t.text;
    throw new NotStatic(`expected an attribute name at line ${t.line}`);
  }

  private expr(): Value {
    let value = this.term();
    while (this.isSymbol('++')) {
      this.next();
      const right = this.term();
      if (!Array.isArray(value) || !Array.isArray(right)) throw new NotStatic('"++" between values that are not lists');
      value = [...(value as string[]), ...(right as string[])];
    }
    return value;
  }

  private term(): Value {
    const t = this.next();
    if (t.kind === 'string') return t.text;
    if (t.kind === 'number') return Number(t.text);
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'false') return t.text === 'true';
      const v = this.vars.get(t.text);
      if (v === undefined) throw new NotStatic(`"${t.text}" at line ${t.line} is not a plain let-bound value`);
      return v;
    }
    if (t.text === '[') {
      this.enter(t.line);
      const items: string[] = [];
      while (!this.isSymbol(']')) {
        const v = this.term();
        if (typeof v === 'string') items.push(v);
        else throw new NotStatic(`a list element at line ${t.line} is not a string`);
      }
      this.next();
      this.depth--;
      return items;
    }
    throw new NotStatic(`unexpected "${t.text}" at line ${t.line}`);
  }
}

/** A short display form of a key: type and the last characters. */
function shortKey(key: string): string {
  return key.length > 24 ? `${key.slice(0, 12)}…${key.slice(-8)}` : key;
}

/**
 * Statically read agenix's secrets.nix when it is a plain attribute set (optionally
 * behind a `let` of strings and lists): each secret and its publicKeys. Anything more
 * dynamic (imports, functions, interpolation) is reported as not readable statically.
 */
export function readAgenixSecrets(root: string, fileAbs: string): { files: SecretsFileStatus[]; warnings: InventoryWarning[] } {
  const rel = path.relative(root, fileAbs).split(path.sep).join('/');
  const read = readCheckoutFile(root, fileAbs);
  if (!read.ok) return { files: [], warnings: [{ severity: 'warning', path: rel, message: `${rel} ${read.detail}; its secrets are not shown.` }] };
  const text = read.text;
  let attrs: Record<string, Value>;
  let reader: Reader;
  try {
    reader = new Reader(tokenize(text));
    attrs = reader.file();
  } catch (error) {
    // RangeError: the stack ran out all the same (a guard missed a path); still only a warning.
    if (!(error instanceof NotStatic) && !(error instanceof RangeError)) throw error;
    return {
      files: [],
      warnings: [{ severity: 'info', path: rel, message: `${rel} could not be read statically (${error.message}); its secrets and recipients are not shown.` }],
    };
  }
  const labels: Record<string, string> = {};
  for (const [name, value] of reader.vars) if (typeof value === 'string') labels[value] = name;
  const dir = path.dirname(fileAbs);
  const files: SecretsFileStatus[] = [];
  for (const [name, value] of Object.entries(attrs)) {
    const secretRel = path.relative(root, path.join(dir, name)).split(path.sep).join('/');
    const item = `secret:${secretRel}`;
    const warnings: InventoryWarning[] = [];
    const keys = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, Value>).publicKeys : undefined;
    let recipients: string[] = [];
    if (Array.isArray(keys)) recipients = keys as string[];
    else warnings.push({ severity: 'warning', item, path: rel, message: `${rel}: "${name}" has no publicKeys list.` });
    if (!fs.existsSync(path.join(dir, name))) {
      warnings.push({ severity: 'info', item, path: secretRel, message: `${secretRel} does not exist yet (create it with \`agenix -e ${name}\`).` });
    }
    const fileLabels: Record<string, string> = {};
    for (const r of recipients) fileLabels[r] = labels[r] ?? shortKey(r);
    files.push({ path: secretRel, format: 'agenix', rule: rel, recipients, missingRecipients: [], extraRecipients: [], labels: fileLabels, warnings });
  }
  return { files, warnings: [] };
}
