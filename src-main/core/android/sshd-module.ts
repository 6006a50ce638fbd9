import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTwoFilesPatch } from 'diff';

/** A proposed edit of droids/<name>: the file, its new text, and the diff shown to the person. */
export interface SshdModuleEdit {
  readonly file: string;
  readonly relative: string;
  readonly next: string;
  readonly diff: string;
}

/** The droid's configuration file (droids/<name>/default.nix or droids/<name>.nix, also under nix/). */
export function droidConfigFile(root: string, droid: string): string | undefined {
  for (const base of [root, path.join(root, 'nix')]) {
    for (const candidate of [path.join(base, 'droids', droid, 'default.nix'), path.join(base, 'droids', `${droid}.nix`)]) {
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * When the droid does not start sshd itself, propose enabling the homelab's sshd module
 * (`homelab.sshd.enable = true;`, modules/droid/sshd.nix) so the phone keeps its SSH access
 * across deploys. undefined: nothing to propose (already there, or no such module).
 */
export function proposeSshdModule(root: string, droid: string): SshdModuleEdit | undefined {
  const file = droidConfigFile(root, droid);
  if (!file) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  if (/homelab\.sshd\.enable\s*=\s*true|homelab\.sshd\s*=\s*\{[^}]*enable\s*=\s*true|services\.openssh/.test(text)) return undefined;
  const moduleExists = [root, path.join(root, 'nix')].some((base) => fs.existsSync(path.join(base, 'modules', 'droid', 'sshd.nix')));
  if (!moduleExists) return undefined;
  // Insert after the opening "{" of the module's attribute set.
  const lines = text.split('\n');
  const open = lines.findIndex((line, i) => /^\s*\{\s*$/.test(line) && i > 0 && /:\s*$/.test(lines[i - 1] ?? ''));
  const at = open >= 0 ? open + 1 : lines.findIndex((line) => /^\s*\{\s*$/.test(line)) + 1;
  if (at <= 0) return undefined;
  const next = [...lines.slice(0, at), '  homelab.sshd.enable = true; # SSH on 8022 for fleet deploys', ...lines.slice(at)].join('\n');
  const relative = path.relative(root, file);
  return { file, relative, next, diff: createTwoFilesPatch(`a/${relative}`, `b/${relative}`, text, next) };
}
