import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { FleetError } from '../contract';
import { runProcess, spawnProcess } from '../process/run';

/** The flake source sent to the phone, as a tar stream. */
export interface FlakeSource {
  /** The commit deployed, or "worktree". */
  readonly revision: string;
  readonly warning?: string;
  readonly tar: Readable;
  /** Resolves when the tar program finished; rejects with its error. */
  readonly done: Promise<void>;
  stop(): void;
}

async function git(root: string, args: readonly string[]): Promise<string> {
  const result = await runProcess('git', ['-C', root, ...args]);
  if (result.code !== 0) throw new Error(result.stderr.trim() || `git ${args[0]} exited ${result.code}`);
  return result.stdout;
}

/** A packing program's archive as a FlakeSource; `stop` cancels it (its whole process group). */
function packed(command: string, args: readonly string[], what: string, options: { cwd?: string; stdin?: string } = {}): Pick<FlakeSource, 'tar' | 'done' | 'stop'> {
  const stopper = new AbortController();
  const child = spawnProcess(command, args, { ...options, signal: stopper.signal, killGraceMs: 0 });
  const done = child.done.then((result) => {
    if (result.code !== 0) throw new FleetError('source-failed', `Could not pack the flake source (${what}): ${result.stderr.trim() || `exit ${result.code ?? result.signal}`}`);
  });
  done.catch(() => undefined);
  return { tar: child.stdout, done, stop: () => stopper.abort() };
}

/**
 * Pack the checkout's flake for the phone. `head`: `git archive` of the committed HEAD
 * (what a deploy should be: reproducible, recorded by revision). `worktree`: the files as
 * they are, tracked and untracked-but-not-ignored, with a warning.
 */
export async function packFlakeSource(root: string, kind: 'head' | 'worktree'): Promise<FlakeSource> {
  let inGit = true;
  let prefix = '';
  try {
    prefix = (await git(root, ['rev-parse', '--show-prefix'])).trim();
  } catch {
    inGit = false;
  }
  if (kind === 'head') {
    if (!inGit) {
      throw new FleetError('not-git', `${root} is not a git repository, so there is no committed revision to deploy.`, {
        hint: 'Commit the checkout (git init; git add; git commit), or deploy the working tree with --worktree.',
      });
    }
    let revision: string;
    try {
      revision = (await git(root, ['rev-parse', '--verify', 'HEAD'])).trim();
    } catch {
      throw new FleetError('not-git', 'The checkout has no commit yet.', { hint: 'Commit it first, or deploy the working tree with --worktree.' });
    }
    const treeish = prefix ? `${revision}:${prefix}` : revision;
    return { revision, ...packed('git', ['-C', root, 'archive', '--format=tar', treeish], 'git archive') };
  }
  let warning = 'Deploying the working tree: uncommitted changes go to the phone and the deploy is not tied to a revision.';
  if (inGit) {
    const listed = (await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])).split('\0').filter(Boolean);
    const files = listed.filter((f) => fs.existsSync(path.join(root, f)));
    return { revision: 'worktree', warning, ...packed('tar', ['-cf', '-', '--null', '--no-recursion', '-T', '-'], 'tar', { cwd: root, stdin: files.join('\0') + '\0' }) };
  }
  warning += ' The checkout is not a git repository: every file under it is sent.';
  return { revision: 'worktree', warning, ...packed('tar', ['-cf', '-', '--exclude=./.git', '.'], 'tar', { cwd: root }) };
}
