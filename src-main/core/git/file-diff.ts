import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../contract';
import { realRoot, resolveInsideCheckout } from '../checkout/paths';
import { runProcess } from '../process/run';
import { formatBytes } from '../../shared/units';
import { readRepoState, resolveRevision, workingTreeChanges } from './repo';
import type { ChangedFile, RepoState } from './types';

/** Above this a patch is cut: the viewer stays responsive and says how big the whole was. */
export const maxPatchBytes = 512 * 1024;

/** A changed file with its line counts, as the file list shows it. */
export interface ChangedFileSummary extends ChangedFile {
  /** Lines added and removed; absent for binary files. */
  readonly added?: number;
  readonly removed?: number;
  readonly binary: boolean;
}

/** `git.changes`: the repository state and every changed file of the checkout. */
export interface WorkingChanges {
  readonly repo: RepoState;
  readonly files: readonly ChangedFileSummary[];
}

/** The patch of one file, ready for a diff viewer. */
export interface FileDiff {
  readonly path: string;
  readonly binary: boolean;
  /** Unified diff text (git format); cut at maxPatchBytes when `truncated`. */
  readonly patch: string;
  readonly bytes: number;
  readonly truncated: boolean;
  /** Highlighting language guessed from the file name: nix, json, yaml, or "" for plain text. */
  readonly language: string;
}

/** Highlighting language for a file name. */
export function languageOf(file: string): string {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.nix') return 'nix';
  if (ext === '.json' || file.endsWith('flake.lock')) return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.sh') return 'bash';
  if (ext === '.md') return 'markdown';
  return '';
}

async function git(root: string, args: readonly string[], okCodes: readonly number[] = [0]): Promise<string> {
  const result = await runProcess('git', ['-c', 'core.quotepath=off', ...args], { cwd: root });
  if (result.code === null || !okCodes.includes(result.code)) {
    throw new FleetError('failed', `git ${args[0]} failed: ${result.stderr.trim().split('\n').pop() ?? ''}`);
  }
  return result.stdout;
}

function parseNumstat(out: string): Map<string, { added?: number; removed?: number; binary: boolean }> {
  const map = new Map<string, { added?: number; removed?: number; binary: boolean }>();
  for (const line of out.split('\n')) {
    const m = /^(\d+|-)\t(\d+|-)\t(.*)$/.exec(line);
    if (!m) continue;
    const binary = m[1] === '-';
    map.set(m[3]!, binary ? { binary } : { added: Number(m[1]), removed: Number(m[2]), binary });
  }
  return map;
}

/** Every changed file of the checkout against HEAD with line counts, and the repository state. */
export async function readWorkingChanges(root: string): Promise<WorkingChanges> {
  const repo = await readRepoState(root);
  if (!repo.isGit) return { repo, files: [] };
  const files = await workingTreeChanges(root, repo.prefix);
  const counts = repo.head ? parseNumstat(await git(root, ['diff', '--numstat', '--relative', '--no-renames', 'HEAD', '--', '.'])) : new Map();
  return {
    repo,
    files: files.map((f) => {
      const c = counts.get(f.path);
      if (c) return { ...f, ...c };
      if (f.kind === 'untracked') return { ...f, ...untrackedCounts(path.join(root, f.path)) };
      return { ...f, binary: false };
    }),
  };
}

function untrackedCounts(file: string): { added?: number; removed?: number; binary: boolean } {
  try {
    // lstat: a symlink is not followed (it may point anywhere), a FIFO is never opened.
    const stat = fs.lstatSync(file);
    if (!stat.isFile()) return { binary: false };
    const head = Buffer.alloc(Math.min(8000, stat.size));
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    if (head.includes(0)) return { binary: true };
    if (stat.size > 50 * 1024 * 1024) return { binary: false };
    const text = fs.readFileSync(file, 'utf8');
    return { added: text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0), removed: 0, binary: false };
  } catch {
    return { binary: false };
  }
}

/** Past this an untracked file is not diffed: git would read all of it to show the first 512 KB. */
const maxUntrackedBytes = 64 * 1024 * 1024;

/**
 * An untracked file is read by `git diff --no-index`, which follows symlinked folders and
 * blocks on a FIFO: only a regular file (or a symlink, which git shows as its target's
 * name) under real folders of the checkout is diffed.
 */
function requireShowableUntracked(root: string, rel: string): void {
  const parent = path.posix.dirname(rel);
  if (parent !== '.' && realRoot(path.join(root, parent)) !== path.join(realRoot(root), parent)) {
    throw new FleetError('invalid-input', `${rel} is under a symlinked folder; untracked files there are not shown.`);
  }
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(path.join(root, rel));
  } catch {
    throw new FleetError('not-found', `${rel} does not exist in the checkout.`);
  }
  if (stat.isSymbolicLink()) return;
  if (!stat.isFile()) throw new FleetError('invalid-input', `${rel} is not a regular file (a FIFO, device or folder), so it has no diff.`);
  if (stat.size > maxUntrackedBytes) {
    throw new FleetError('invalid-input', `${rel} is ${formatBytes(stat.size)}, too big to show as a new file.`);
  }
}

/**
 * The patch of one file: against HEAD (staged + unstaged), only the staged part, or
 * against another revision. Untracked files diff against nothing. Binary files say so
 * instead of a patch; patches past maxPatchBytes are cut at a line end.
 */
export async function readFileDiff(root: string, file: string, options: { readonly staged?: boolean; readonly base?: string } = {}): Promise<FileDiff> {
  const rel = path.posix.normalize(file);
  // Refuses "..", absolute paths, .git/ and symlinks (file or folder) that lead out of the checkout.
  resolveInsideCheckout(root, rel);
  const base = options.base ? await resolveRevision(root, options.base) : 'HEAD';
  const tracked = (await git(root, ['ls-files', '--error-unmatch', '--', rel], [0, 1])).trim() !== '';
  let patch: string;
  if (!tracked && !options.staged) {
    requireShowableUntracked(root, rel);
    // `--no-index` exits 1 when the files differ, which is the point here.
    patch = await git(root, ['diff', '--no-color', '--no-ext-diff', '--no-index', '--', '/dev/null', rel], [0, 1]);
  } else {
    const args = ['diff', '--no-color', '--no-ext-diff', '--relative', ...(options.staged ? ['--cached'] : []), ...(options.staged && !options.base ? [] : [base]), '--', rel];
    patch = await git(root, args);
  }
  const bytes = Buffer.byteLength(patch);
  const binary = /^Binary files .* differ$/m.test(patch) || /^GIT binary patch$/m.test(patch);
  let truncated = false;
  if (bytes > maxPatchBytes) {
    const cut = patch.lastIndexOf('\n', maxPatchBytes);
    patch = patch.slice(0, cut > 0 ? cut + 1 : maxPatchBytes);
    truncated = true;
  }
  return { path: rel, binary, patch, bytes, truncated, language: languageOf(rel) };
}
