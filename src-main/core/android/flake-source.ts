import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { FleetError } from '../contract';

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

function git(root: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err.trim() || `git ${args[0]} exited ${code}`))));
  });
}

function tarProcess(child: ChildProcess, what: string): Pick<FlakeSource, 'tar' | 'done' | 'stop'> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new FleetError('source-failed', `Could not pack the flake source (${what}): ${stderr.trim() || `exit ${code ?? signal}`}`));
    });
  });
  done.catch(() => undefined);
  const stop = () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  // Take the output at once: Node drops unread stdio of a child that exits (flushStdio), so a
  // small archive would be lost if git finished before the push started reading.
  const tar = new PassThrough();
  child.stdout?.on('error', (error) => tar.destroy(error));
  child.stdout?.pipe(tar);
  return { tar, done, stop };
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
    const child = spawn('git', ['-C', root, 'archive', '--format=tar', treeish], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    return { revision, ...tarProcess(child, 'git archive') };
  }
  let warning = 'Deploying the working tree: uncommitted changes go to the phone and the deploy is not tied to a revision.';
  if (inGit) {
    const listed = (await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])).split('\0').filter(Boolean);
    const files = listed.filter((f) => fs.existsSync(path.join(root, f)));
    const child = spawn('tar', ['-cf', '-', '--null', '--no-recursion', '-T', '-'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdin?.end(files.join('\0') + '\0');
    return { revision: 'worktree', warning, ...tarProcess(child, 'tar') };
  }
  warning += ' The checkout is not a git repository: every file under it is sent.';
  const child = spawn('tar', ['-cf', '-', '--exclude=./.git', '.'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return { revision: 'worktree', warning, ...tarProcess(child, 'tar') };
}
