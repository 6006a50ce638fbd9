import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { readRepoState } from '../../src-main/core/git/repo';
import { readFileDiff, readWorkingChanges, maxPatchBytes } from '../../src-main/core/git/file-diff';
import { commitChanges, deployTreeWarnings, stashChanges } from '../../src-main/core/git/actions';
import { computeAffected } from '../../src-main/core/homelab/affected';
import { snapshotRevision } from '../../src-main/core/git/snapshot';

// The git side of issue 7 against real repositories in the bad shapes people have them:
// conflicts, detached HEAD, shallow clones, binary and huge files, a flake in a subfolder.

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function repo(files: Record<string, string | Buffer> = { 'flake.nix': '{ outputs = { self }: { }; }\n', 'systems/a/default.nix': '{ }\n', 'systems/b/default.nix': '{ }\n' }): { dir: string; git: (...a: string[]) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-git-it-'));
  dirs.push(dir);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8' });
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'init');
  return { dir, git };
}

describe('repository state and changes', () => {
  it('reports merge conflicts, and affected still maps the conflicted file without evaluating', async () => {
    const { dir, git } = repo();
    git('checkout', '-qb', 'other');
    fs.writeFileSync(path.join(dir, 'systems/a/default.nix'), '{ other = 1; }\n');
    git('commit', '-qam', 'other');
    git('checkout', '-q', 'main');
    fs.writeFileSync(path.join(dir, 'systems/a/default.nix'), '{ main = 1; }\n');
    git('commit', '-qam', 'main');
    expect(() => git('merge', '-q', 'other')).toThrow();
    const state = await readRepoState(dir);
    expect(state.conflicted).toEqual(['systems/a/default.nix']);
    expect(state.operation).toBe('merge');
    expect(state.problems.join(' ')).toMatch(/Merge conflicts/);
    const report = await computeAffected(dir);
    expect(report.affected.map((m) => m.id)).toEqual(['system:a']);
    expect(report.confirmation.state).toBe('unavailable');
    await expect(commitChanges(dir, 'x')).rejects.toThrow(/Resolve the merge conflicts/);
    expect((await deployTreeWarnings(dir)).join(' ')).toMatch(/merge/);
  });

  it('reports a detached HEAD and a shallow clone', async () => {
    const { dir, git } = repo();
    fs.writeFileSync(path.join(dir, 'systems/b/default.nix'), '{ x = 2; }\n');
    git('commit', '-qam', 'second');
    git('checkout', '-q', '--detach', 'HEAD~1');
    const detached = await readRepoState(dir);
    expect(detached.detached).toBe(true);
    expect(detached.branch).toBeUndefined();
    const shallowDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-git-shallow-'));
    dirs.push(shallowDir);
    execFileSync('git', ['clone', '-q', '--depth', '1', `file://${dir}`, shallowDir, '--branch', 'main']);
    const shallow = await readRepoState(shallowDir);
    expect(shallow.shallow).toBe(true);
    await expect(computeAffected(shallowDir, { base: 'HEAD~1', confirm: false })).rejects.toThrow(/shallow clone/);
  });

  it('shows binary files as binary and cuts a 10 MB diff', async () => {
    const { dir } = repo({ 'flake.nix': '{ }\n', 'blob.bin': Buffer.from([0, 1, 2, 0]), 'big.txt': 'x\n' });
    fs.writeFileSync(path.join(dir, 'blob.bin'), Buffer.from([0, 9, 9, 0, 1]));
    fs.writeFileSync(path.join(dir, 'big.txt'), 'line of text that is quite long, to make a big diff quickly\n'.repeat(180_000));
    const changes = await readWorkingChanges(dir);
    expect(changes.files.find((f) => f.path === 'blob.bin')).toMatchObject({ binary: true });
    expect((await readFileDiff(dir, 'blob.bin')).binary).toBe(true);
    const started = Date.now();
    const big = await readFileDiff(dir, 'big.txt');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(big.bytes).toBeGreaterThan(10_000_000);
    expect(big.truncated).toBe(true);
    expect(Buffer.byteLength(big.patch)).toBeLessThanOrEqual(maxPatchBytes);
    expect(big.patch.endsWith('\n')).toBe(true);
  });

  it('diffs untracked and staged files, then commits and stashes', async () => {
    const { dir } = repo();
    fs.writeFileSync(path.join(dir, 'systems/c.nix'), '{ new = true; }\n');
    const untracked = await readFileDiff(dir, 'systems/c.nix');
    expect(untracked.patch).toMatch(/\+\{ new = true; \}/);
    expect(untracked.language).toBe('nix');
    expect(await deployTreeWarnings(dir)).toHaveLength(1);
    const committed = await commitChanges(dir, 'add host c');
    expect(committed.files).toBe(1);
    expect((await readRepoState(dir)).dirty).toBe(false);
    expect(await deployTreeWarnings(dir)).toEqual([]);
    fs.writeFileSync(path.join(dir, 'systems/a/default.nix'), '{ stashed = true; }\n');
    const stash = await stashChanges(dir, 'wip');
    expect(stash.stash).toMatch(/^[0-9a-f]+$/);
    expect((await readRepoState(dir)).dirty).toBe(false);
    await expect(stashChanges(dir)).rejects.toThrow(/no changes/);
  });

  it('works on a flake kept in a subfolder of a bigger repository', async () => {
    const { dir } = repo({ 'README.md': 'x\n', 'infra/flake.nix': '{ }\n', 'infra/systems/web/default.nix': '{ }\n', 'infra/systems/db/default.nix': '{ }\n' });
    fs.appendFileSync(path.join(dir, 'infra/systems/web/default.nix'), '# edit\n');
    fs.appendFileSync(path.join(dir, 'README.md'), 'outside the flake\n');
    const root = path.join(dir, 'infra');
    const report = await computeAffected(root, { confirm: false });
    expect(report.repo.prefix).toBe('infra');
    expect(report.files.map((f) => f.path)).toEqual(['systems/web/default.nix']);
    expect(report.affected.map((m) => m.id)).toEqual(['system:web']);
    expect((await readFileDiff(root, 'systems/web/default.nix')).patch).toMatch(/\+# edit/);
  });

  it('snapshots an older revision of a flake kept in a subfolder (git archive from the top)', async () => {
    const { dir, git } = repo({ 'README.md': 'x\n', 'infra/flake.nix': '{ }\n', 'infra/systems/web/default.nix': '{ old = 1; }\n' });
    fs.writeFileSync(path.join(dir, 'infra/systems/web/default.nix'), '{ new = 1; }\n');
    git('commit', '-qam', 'second');
    const snapshot = await snapshotRevision(path.join(dir, 'infra'), 'HEAD~1');
    try {
      expect(fs.readdirSync(snapshot.dir).sort()).toEqual(['flake.nix', 'systems']);
      expect(fs.readFileSync(path.join(snapshot.dir, 'systems/web/default.nix'), 'utf8')).toBe('{ old = 1; }\n');
    } finally {
      snapshot.dispose();
    }
  });

  it('says plainly when the folder is not a repository', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-git-none-'));
    dirs.push(dir);
    expect((await readRepoState(dir)).isGit).toBe(false);
    await expect(computeAffected(dir)).rejects.toThrow(/not a git repository/);
  });
});
