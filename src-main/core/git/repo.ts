import * as fs from 'node:fs';
import * as path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { FleetError } from '../contract';
import type { ChangeKind, ChangedFile, RepoState } from './types';

/** A simple-git instance for a checkout; long operations are bounded so a stuck git never hangs the app. */
export function gitAt(root: string): SimpleGit {
  return simpleGit({ baseDir: root, timeout: { block: 60_000 }, maxConcurrentProcesses: 4 });
}

async function tryRaw(git: SimpleGit, args: string[]): Promise<string | undefined> {
  try {
    return await git.raw(args);
  } catch {
    return undefined;
  }
}

/**
 * The state of the repository around a checkout: branch or detached HEAD, ahead/behind
 * its upstream, shallow, conflicts, an operation in progress. Never throws: a folder that
 * is not a repository answers `isGit: false` with the reason in `problems`.
 */
export async function readRepoState(root: string): Promise<RepoState> {
  return (await readRepoStateAndChanges(root)).state;
}

/** The repository state and the working tree's changes, from one `git status`. */
export async function readRepoStateAndChanges(root: string): Promise<{ state: RepoState; files: ChangedFile[] }> {
  const git = gitAt(root);
  // One rev-parse for the facts that cannot fail inside a work tree.
  const facts = (await tryRaw(git, ['rev-parse', '--is-inside-work-tree', '--is-shallow-repository', '--absolute-git-dir', '--show-prefix']))?.split('\n');
  if (facts?.[0]?.trim() !== 'true') {
    const state: RepoState = {
      isGit: false, prefix: '', detached: false, ahead: 0, behind: 0, shallow: false, dirty: false, conflicted: [],
      problems: ['Not a git repository: changes and affected machines cannot be computed (run `git init` and commit).'],
    };
    return { state, files: [] };
  }
  const problems: string[] = [];
  const shallow = facts[1]?.trim() === 'true';
  const gitDir = facts[2]?.trim();
  const prefix = (facts[3] ?? '').trim().replace(/\/$/, '');
  const [headRaw, branchOut, files] = await Promise.all([
    tryRaw(git, ['rev-parse', '--verify', '--quiet', 'HEAD']),
    tryRaw(git, ['symbolic-ref', '--quiet', '--short', 'HEAD']),
    workingTreeChanges(root, prefix),
  ]);
  const head = headRaw?.trim() || undefined;
  if (!head) problems.push('The repository has no commits yet: every file counts as added.');
  const branchRaw = branchOut?.trim();
  const detached = !branchRaw && head !== undefined;
  if (detached) problems.push('Detached HEAD: a deploy records the commit, not a branch.');
  if (shallow) problems.push('Shallow clone: older revisions (and the deployed one) may be missing; run `git fetch --unshallow`.');
  let upstream: string | undefined;
  let ahead = 0;
  let behind = 0;
  if (branchRaw) {
    upstream = (await tryRaw(git, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']))?.trim() || undefined;
    if (upstream) {
      const counts = (await tryRaw(git, ['rev-list', '--left-right', '--count', `${upstream}...HEAD`]))?.trim().split(/\s+/);
      behind = Number(counts?.[0] ?? 0) || 0;
      ahead = Number(counts?.[1] ?? 0) || 0;
    }
  }
  const operation = gitDir ? operationInProgress(gitDir) : undefined;
  if (operation) problems.push(`A ${operation} is in progress: finish or abort it before deploying.`);
  const conflicted = files.filter((f) => f.kind === 'conflicted').map((f) => f.path);
  if (conflicted.length > 0) problems.push(`Merge conflicts in ${conflicted.length} file(s): ${conflicted.slice(0, 5).join(', ')}${conflicted.length > 5 ? ', ...' : ''}.`);
  const state: RepoState = {
    isGit: true,
    prefix,
    ...(branchRaw ? { branch: branchRaw } : {}),
    detached,
    ...(head ? { head } : {}),
    ...(upstream ? { upstream } : {}),
    ahead,
    behind,
    shallow,
    dirty: files.length > 0,
    conflicted,
    ...(operation ? { operation } : {}),
    problems,
  };
  return { state, files };
}

function operationInProgress(gitDir: string): RepoState['operation'] {
  const has = (name: string) => fs.existsSync(path.join(gitDir, name));
  if (has('MERGE_HEAD')) return 'merge';
  if (has('rebase-merge') || has('rebase-apply')) return 'rebase';
  if (has('CHERRY_PICK_HEAD')) return 'cherry-pick';
  if (has('REVERT_HEAD')) return 'revert';
  return undefined;
}

const statusKinds: Record<string, ChangeKind> = {
  M: 'modified', A: 'added', D: 'deleted', R: 'renamed', C: 'copied', T: 'type-changed',
};

/**
 * Parse `git status --porcelain=v1 -z` into changed files. Paths in that format are
 * relative to the repository root; `prefix` (the checkout's folder inside the repository)
 * is stripped and files outside it are dropped.
 */
export function parsePorcelainZ(output: string, prefix = ''): ChangedFile[] {
  const records = output.split('\0');
  const files: ChangedFile[] = [];
  const strip = (p: string): string | undefined => (prefix === '' ? p : p.startsWith(`${prefix}/`) ? p.slice(prefix.length + 1) : undefined);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (record.length < 4) continue;
    const x = record[0]!;
    const y = record[1]!;
    const file = strip(record.slice(3));
    let oldPath: string | undefined;
    if (x === 'R' || x === 'C' || y === 'R' || y === 'C') oldPath = strip(records[++i] ?? '');
    if (file === undefined) continue;
    let kind: ChangeKind;
    if (x === '?' && y === '?') kind = 'untracked';
    else if (x === '!' && y === '!') continue;
    else if (x === 'U' || y === 'U' || (x === 'A' && y === 'A') || (x === 'D' && y === 'D')) kind = 'conflicted';
    else kind = statusKinds[x !== ' ' ? x : y] ?? 'modified';
    // A file added to the index and then deleted from disk is gone as far as nix is concerned.
    if (x === 'A' && y === 'D') kind = 'deleted';
    files.push({
      path: file,
      ...(oldPath !== undefined ? { oldPath } : {}),
      kind,
      staged: x !== ' ' && x !== '?',
      unstaged: y !== ' ',
    });
  }
  return files;
}

/** Staged, unstaged and untracked changes of the checkout against HEAD. */
export async function workingTreeChanges(root: string, prefix?: string): Promise<ChangedFile[]> {
  const git = gitAt(root);
  const pfx = prefix ?? ((await tryRaw(git, ['rev-parse', '--show-prefix'])) ?? '').trim().replace(/\/$/, '');
  const out = await git.raw(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--', '.']);
  return parsePorcelainZ(out, pfx);
}

/**
 * Files that differ between revision `base` and the working tree (committed since, staged,
 * unstaged, and untracked). Throws a FleetError naming the fix when `base` is unknown, e.g.
 * in a shallow clone.
 */
export async function changesSince(root: string, base: string): Promise<ChangedFile[]> {
  const git = gitAt(root);
  const rev = await resolveRevision(root, base);
  const out = await git.raw(['diff', '--name-status', '-z', '--no-renames', '--relative', rev, '--', '.']);
  const parts = out.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const code = parts[i]![0] ?? 'M';
    files.push({ path: parts[i + 1]!, kind: statusKinds[code] ?? (code === 'U' ? 'conflicted' : 'modified'), staged: false, unstaged: true });
  }
  const seen = new Set(files.map((f) => f.path));
  for (const f of await workingTreeChanges(root)) if (f.kind === 'untracked' && !seen.has(f.path)) files.push(f);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The full hash of a revision, or a FleetError saying why it is not there. */
export async function resolveRevision(root: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new FleetError('invalid-input', `"${ref}" is not a revision.`);
  const git = gitAt(root);
  const rev = (await tryRaw(git, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]))?.trim();
  if (rev) return rev;
  const shallow = (await tryRaw(git, ['rev-parse', '--is-shallow-repository']))?.trim() === 'true';
  throw new FleetError('not-found', `Revision ${ref} is not in this repository${shallow ? ' (it is a shallow clone)' : ''}.`, {
    hint: shallow ? 'Run `git fetch --unshallow` to get the full history.' : 'Run `git fetch` if it was pushed from another machine.',
  });
}
