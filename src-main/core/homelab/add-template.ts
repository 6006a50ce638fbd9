import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../contract';

/** What a new configuration is: a NixOS system, a Home Manager home or a Nix-on-Droid phone. */
export type AddKind = 'system' | 'home' | 'droid';

/** The layout folder a kind lives in. */
export const kindFolder: Readonly<Record<AddKind, string>> = { system: 'systems', home: 'homes', droid: 'droids' };

/** Template names tried first for a kind when the person names none. */
const preferredTemplates: Readonly<Record<AddKind, readonly string[]>> = {
  system: ['host', 'system', 'nixos'],
  home: ['home', 'user'],
  droid: ['droid', 'phone'],
};

/** One template's configuration for a kind, ready to copy. */
export interface TemplateEntry {
  readonly template: string;
  /** Absolute path of what is copied: a folder holding default.nix, or a single .nix file. */
  readonly source: string;
  readonly form: 'directory' | 'file';
  /**
   * The name the template uses for the configuration (e.g. "new-host"), replaced by the new
   * name; none when the template folder is itself the configuration (its name is no placeholder).
   */
  readonly placeholder?: string;
}

/** The checkout's templates/ folder: beside systems/ (the layout folder) or at the checkout root. */
export function templatesDir(layoutRoot: string, root: string): string | undefined {
  for (const base of new Set([layoutRoot, root])) {
    const dir = path.join(base, 'templates');
    try {
      if (fs.statSync(dir).isDirectory()) return dir;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => !d.name.startsWith('.'));
  } catch {
    return [];
  }
}

/**
 * The configuration a template holds for `kind`, by the layout's own discovery rule:
 * templates/<T>/<systems|homes|droids>/<one entry> (the nix flake init layout of the
 * homelab's templates), or templates/<T>/default.nix when the template is itself the
 * configuration. Undefined when the template has nothing for this kind.
 */
function entryOf(dir: string, template: string, kind: AddKind): TemplateEntry | undefined {
  const inner = path.join(dir, kindFolder[kind]);
  const entries = listDir(inner).filter(
    (d) => (d.isDirectory() && fs.existsSync(path.join(inner, d.name, 'default.nix'))) || (d.isFile() && d.name.endsWith('.nix') && d.name !== 'default.nix'),
  );
  const first = entries[0];
  if (first && entries.length === 1) {
    const form = first.isDirectory() ? 'directory' : 'file';
    return { template, source: path.join(inner, first.name), form, placeholder: form === 'file' ? first.name.slice(0, -4) : first.name };
  }
  if (entries.length > 1) {
    throw new FleetError('invalid-input', `templates/${template}/${kindFolder[kind]}/ holds ${entries.length} configurations (${entries.map((e) => e.name).join(', ')}); a template for "fleet add" holds one.`);
  }
  if (!fs.existsSync(path.join(dir, kindFolder[kind])) && fs.existsSync(path.join(dir, 'default.nix'))) {
    return { template, source: dir, form: 'directory' };
  }
  return undefined;
}

/**
 * Find the template to copy for a new `kind`: the one named, or the only template that has
 * a configuration of this kind (a template named after the kind wins when several do).
 * Throws a FleetError naming the templates there are when none fits.
 */
export function findTemplate(layoutRoot: string, root: string, kind: AddKind, name?: string): TemplateEntry {
  const dir = templatesDir(layoutRoot, root);
  const shown = dir ? path.relative(root, dir) || 'templates' : 'templates';
  const names = dir ? listDir(dir).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
  if (name !== undefined) {
    if (name === '' || name.includes('/') || name.includes('\\') || name.startsWith('.')) {
      throw new FleetError('invalid-input', `"${name}" is not a template name (a folder in ${shown}/).`);
    }
    if (!dir || !names.includes(name)) {
      throw new FleetError('not-found', `There is no template "${name}" in ${shown}/ (templates: ${names.join(', ') || 'none'}).`);
    }
    const entry = entryOf(path.join(dir, name), name, kind);
    if (!entry) {
      throw new FleetError('invalid-input', `The template "${name}" has no ${kind} configuration: expected ${shown}/${name}/${kindFolder[kind]}/<name>/default.nix.`);
    }
    return entry;
  }
  const candidates = names.flatMap((t) => {
    const entry = dir ? entryOf(path.join(dir, t), t, kind) : undefined;
    return entry ? [entry] : [];
  });
  const preferred = preferredTemplates[kind].map((p) => candidates.find((c) => c.template === p)).find((c) => c !== undefined);
  const chosen = preferred ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (chosen) return chosen;
  if (candidates.length > 1) {
    throw new FleetError('invalid-input', `Several templates hold a ${kind} (${candidates.map((c) => c.template).join(', ')}); choose one with --template.`);
  }
  throw new FleetError('not-found', `No template in ${shown}/ holds a ${kind} (expected ${shown}/<template>/${kindFolder[kind]}/<name>/default.nix; templates: ${names.join(', ') || 'none'}).`, {
    hint: 'Add one, e.g. templates/host/systems/new-host/default.nix, as `nix flake init -t` templates are laid out.',
  });
}

/** Whether a file's bytes look like text (no NUL in the first 8 KiB), so names in it may be replaced. */
function isText(bytes: Buffer): boolean {
  return !bytes.subarray(0, 8192).includes(0);
}

/**
 * Copy a template entry to `target` (which must not exist), replacing the placeholder name
 * in file names and in the text of every file. Answers the files written, relative to
 * `target`'s parent. Symlinks are refused: a template link could point anywhere.
 */
export function copyTemplate(entry: TemplateEntry, target: string, replacement: string): string[] {
  const written: string[] = [];
  const placeholder = entry.placeholder;
  const replace = (text: string): string => (placeholder ? text.split(placeholder).join(replacement) : text);
  const copyFile = (from: string, to: string): void => {
    const stat = fs.lstatSync(from);
    if (!stat.isFile()) throw new FleetError('invalid-input', `${from} in the template is not a regular file (links and devices are not copied).`);
    const bytes = fs.readFileSync(from);
    fs.writeFileSync(to, isText(bytes) ? replace(bytes.toString('utf8')) : bytes, { mode: stat.mode & 0o777, flag: 'wx' });
    written.push(path.relative(path.dirname(target), to));
  };
  const copyDir = (from: string, to: string): void => {
    fs.mkdirSync(to);
    for (const d of fs.readdirSync(from, { withFileTypes: true })) {
      const src = path.join(from, d.name);
      const dst = path.join(to, replace(d.name));
      if (d.isDirectory()) copyDir(src, dst);
      else copyFile(src, dst);
    }
  };
  if (entry.form === 'directory') copyDir(entry.source, target);
  else copyFile(entry.source, target);
  return written.sort();
}
