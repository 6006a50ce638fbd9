import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FleetError } from '../contract';
import { runProcess } from '../process/run';
import { gitAt } from './repo';

/**
 * A copy of the checkout's files as nix sees them, without git metadata. Evaluating two
 * snapshots (old revision, working tree) as `path:` flakes compares only their content:
 * a git flake would stamp each with its own revision (configurationRevision), which makes
 * every host's derivation differ on every commit and hides which hosts an edit reaches.
 */
export interface Snapshot {
  readonly dir: string;
  dispose(): void;
}

// Same mtime on both sides: a path: flake's lastModified comes from the files' mtimes.
const fixedTime = new Date('2000-01-01T00:00:00Z');

function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `fleet-${label}-`));
}

function settle(dir: string): void {
  const walk = (p: string): void => {
    const stat = fs.lstatSync(p);
    if (stat.isDirectory()) for (const entry of fs.readdirSync(p)) walk(path.join(p, entry));
    if (!stat.isSymbolicLink()) fs.utimesSync(p, fixedTime, fixedTime);
  };
  walk(dir);
}

/** The checkout's tree at revision `rev` (`git archive`, the repository is not touched). */
export async function snapshotRevision(root: string, rev: string, signal?: AbortSignal): Promise<Snapshot> {
  const git = gitAt(root);
  const prefix = (await git.raw(['rev-parse', '--show-prefix'])).trim().replace(/\/$/, '');
  // From the repository's top: `git archive <rev>:<sub>` run inside <sub> limits itself to
  // the cwd's path within that tree, which does not exist ("current working directory is
  // untracked") when the flake sits in a subfolder.
  const top = (await git.raw(['rev-parse', '--show-toplevel'])).trim();
  const dir = makeTempDir('old');
  const tar = path.join(dir, '..', `${path.basename(dir)}.tar`);
  const dispose = () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tar, { force: true });
  };
  try {
    const treeish = prefix === '' ? rev : `${rev}:${prefix}`;
    const archive = await runProcess('git', ['archive', '--format=tar', '-o', tar, treeish], { cwd: top, ...(signal ? { signal } : {}) });
    if (archive.code !== 0) throw new FleetError('failed', `git archive ${rev} failed: ${archive.stderr.trim()}`);
    const untar = await runProcess('tar', ['-xf', tar, '-C', dir], { ...(signal ? { signal } : {}) });
    if (untar.code !== 0) throw new FleetError('failed', `Unpacking revision ${rev} failed: ${untar.stderr.trim()}`);
    fs.rmSync(tar, { force: true });
    settle(dir);
    return { dir, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/**
 * The working tree as a dirty git flake shows it to nix: every tracked file with its
 * content on disk (untracked files are invisible to nix until `git add`).
 */
export async function snapshotWorkingTree(root: string): Promise<Snapshot> {
  const git = gitAt(root);
  const listed = (await git.raw(['ls-files', '-z', '--cached', '--', '.'])).split('\0').filter((p) => p !== '');
  const dir = makeTempDir('new');
  const dispose = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    for (const rel of listed) {
      const from = path.join(root, rel);
      let stat: fs.Stats;
      try {
        stat = fs.lstatSync(from);
      } catch {
        continue; // deleted in the working tree
      }
      const to = path.join(dir, rel);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      if (stat.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
      else if (stat.isFile()) fs.copyFileSync(from, to);
      if (stat.isFile()) fs.chmodSync(to, stat.mode & 0o777);
    }
    settle(dir);
    return { dir, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
