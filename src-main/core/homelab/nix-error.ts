import * as fs from 'node:fs';
import * as path from 'node:path';

export interface NixErrorLocation {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

// "at /nix/store/<hash>-source/systems/moonlight/default.nix:3:5:" (nix 2.8 and later),
// "at «git+file:///home/me/homelab»/systems/x.nix:3:5:" (lazy trees), or a plain absolute path.
const storeLocation = /(?:\/nix\/store\/[0-9a-z]{32}-[^/\s:]+)((?:\/[^:\s]+)+):(\d+)(?::(\d+))?/g;
const lazyLocation = /«[^»]+»((?:\/[^:\s]+)+):(\d+)(?::(\d+))?/g;
const plainLocation = /\bat (\/[^:\s]+):(\d+)(?::(\d+))?/g;

/**
 * The checkout file and line a nix error points at: the first location in nix's output
 * whose store path maps back to a file of the checkout (the flake's source is copied to
 * /nix/store/<hash>-source, so "<store>/systems/x/default.nix" is root/systems/x/default.nix).
 */
export function nixErrorLocation(stderr: string, root: string): NixErrorLocation | undefined {
  const candidates: { rel: string; line: number; column?: number; absolute?: boolean; index: number }[] = [];
  for (const re of [storeLocation, lazyLocation]) {
    re.lastIndex = 0;
    for (let m = re.exec(stderr); m; m = re.exec(stderr)) {
      candidates.push({ rel: (m[1] ?? '').slice(1), line: Number(m[2]), ...(m[3] ? { column: Number(m[3]) } : {}), index: m.index });
    }
  }
  plainLocation.lastIndex = 0;
  for (let m = plainLocation.exec(stderr); m; m = plainLocation.exec(stderr)) {
    if ((m[1] ?? '').startsWith('/nix/store/')) continue;
    candidates.push({ rel: m[1] ?? '', line: Number(m[2]), ...(m[3] ? { column: Number(m[3]) } : {}), absolute: true, index: m.index });
  }
  // Module system errors name only the file: "In `/nix/store/...-source/systems/x/default.nix'".
  const fileOnly = /In `\/nix\/store\/[0-9a-z]{32}-[^/\s:]+((?:\/[^'`\s]+)+)'/g;
  for (let m = fileOnly.exec(stderr); m; m = fileOnly.exec(stderr)) {
    candidates.push({ rel: (m[1] ?? '').slice(1), line: 1, index: Number.MAX_SAFE_INTEGER - 1000 + m.index });
  }
  candidates.sort((a, b) => a.index - b.index);
  for (const c of candidates) {
    const file = c.absolute ? c.rel : path.join(root, c.rel);
    if (c.absolute && !file.startsWith(root + path.sep)) continue;
    if (fs.existsSync(file)) return { file, line: c.line, ...(c.column !== undefined ? { column: c.column } : {}) };
  }
  return undefined;
}

/** The error nix reports, without its code excerpt, trace hints and warnings. */
export function nixErrorMessage(stderr: string): string {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith('error:'));
  if (start < 0) {
    const meaningful = lines.filter((l) => l.trim() && !l.startsWith('warning:'));
    return meaningful.slice(-3).join('\n').trim() || 'nix failed without a message';
  }
  const out: string[] = [];
  for (const line of lines.slice(start)) {
    if (/^\s+at\s/.test(line) || /^\s+\d+\|/.test(line) || line.startsWith("(use '--show-trace'")) break;
    if (line.trim() === '' && out.length > 0) {
      // nix 2.8 puts a blank line before the location; later versions before "… while" traces.
      continue;
    }
    out.push(line.replace(/^error:\s*/, '').trim());
    if (out.length >= 6) break;
  }
  // Store paths of the checkout's copy mean nothing to a person: show them relative.
  return out
    .filter(Boolean)
    .join(' ')
    .replace(/\/nix\/store\/[0-9a-z]{32}-source\//g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Add what to do to errors whose cause nix does not say: a file that exists in the
 * checkout but not in nix's copy of it is a file git does not track.
 */
export function explainNixError(message: string, root: string): string {
  const missing = /getting status of '([^']+)': No such file or directory/.exec(message);
  const rel = missing?.[1];
  if (rel && !rel.startsWith('/') && fs.existsSync(path.join(root, rel))) {
    return `${message} (${rel} exists but git does not track it, and nix only sees tracked files: run \`git add ${rel}\`)`;
  }
  return message;
}
