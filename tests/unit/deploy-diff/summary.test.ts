import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClosureJson } from '../../../src-main/core/closure/listing';
import { reportOf, type ClosureDiffReport } from '../../../src-main/core/closure/report';
import type { ClosureEntry } from '../../../src-main/core/closure/types';
import type { WorkingChanges } from '../../../src-main/core/git/file-diff';
import { checkoutKey, diffsToStart, summariseHostDiff, type HostDiffRun } from '../../../src-renderer/components/DeployDiff/summary';
import { formatBytes, formatBytesChange as formatDelta } from '../../../src-main/shared/units';

// The closure tests' recorded nix 2.8 listings of moonlight before and after a fish/openssh bump.
const recorded = (name: string) => parseClosureJson(fs.readFileSync(path.join(import.meta.dirname, '../closure/recorded', name), 'utf8'));
const p = (name: string, narSize: number, hash = 'a'.repeat(32)): ClosureEntry => ({ path: `/nix/store/${hash}-${name}`, narSize });
const side = (entries: readonly ClosureEntry[], label: string) => ({ label, source: 'path' as const, entries });
const report = (before: readonly ClosureEntry[], after: readonly ClosureEntry[]) => reportOf(side(before, 'host'), side(after, 'working tree'), 0, { kind: 'system', name: 'moonlight' });

describe('formatBytes / formatDelta', () => {
  it('reads like a person writes sizes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(248 * 1024)).toBe('248 KiB');
    expect(formatBytes(1.5 * 1024 * 1024)).toBe('1.5 MiB');
    expect(formatBytes(2 * 1024 * 1024)).toBe('2 MiB');
    expect(formatBytes(12.4 * 1024 ** 3)).toBe('12 GiB');
    expect(formatDelta(248 * 1024)).toBe('+248 KiB');
    expect(formatDelta(-1536)).toBe('−1.5 KiB');
    expect(formatDelta(0)).toBe('±0 B');
  });
});

describe('summariseHostDiff', () => {
  it('names the version bumps, the counts, the size change and what to copy (recorded moonlight listings)', () => {
    const before = recorded('moonlight-fish-3.7.1.json');
    const after = recorded('moonlight-fish-3.7.2.json');
    const r = report(before, after);
    const s = summariseHostDiff(r);
    expect(s.state).toBe('ok');
    expect(s.packages).toBe('fish 3.7.1 → 3.7.2, openssh 9.6p1 → 9.7p1, +0 added, −0 removed');
    const newOnly = after.filter((e) => !before.some((b) => b.path === e.path));
    // Without asking the host's store the count is an upper bound.
    expect(s.copy).toBe(`copies at most ${newOnly.length} paths, ${formatBytes(newOnly.reduce((n, e) => n + e.narSize, 0))}`);
    expect(s.size).toBe(`size ${formatBytes(r.diff!.oldSize)} → ${formatBytes(r.diff!.newSize)} (${formatDelta(r.diff!.sizeDelta)})`);
    // The initrd was rebuilt (its modules list changed), the kernel did not move.
    expect(s.reboot).toBe('reboot needed (kernel modules or initrd changed)');
  });

  it('says which kernel version a reboot brings, and "nothing to copy" when the host has it all', () => {
    const old = [p('nixos-system-x-24.05', 10), p('linux-6.6.30', 5000, 'b'.repeat(32)), p('initrd-linux-6.6.30', 3000, 'c'.repeat(32)), p('fish-3.7.1', 700, 'd'.repeat(32))];
    const next = [p('nixos-system-x-24.05', 10, 'e'.repeat(32)), p('linux-6.8.9', 5200, 'f'.repeat(32)), p('initrd-linux-6.8.9', 3100, 'g'.repeat(32)), p('fish-3.7.1', 700, 'd'.repeat(32)), p('htop-3.3.0', 300, 'h'.repeat(32))];
    const r = report(old, next);
    const s = summariseHostDiff(r);
    expect(s.reboot).toBe('reboot needed (kernel 6.6.30 → 6.8.9)');
    expect(s.packages).toContain('linux 6.6.30 → 6.8.9');
    expect(s.packages).toMatch(/\+1 added, −0 removed$/);
    const exactNothing: ClosureDiffReport = { ...r, diff: { ...r.diff!, download: { paths: 0, bytes: 0, exact: true } } };
    expect(summariseHostDiff(exactNothing).copy).toBe('nothing to copy');
    const exactOne: ClosureDiffReport = { ...r, diff: { ...r.diff!, download: { paths: 1, bytes: 253_952, exact: true } } };
    expect(summariseHostDiff(exactOne).copy).toBe('copies 1 path, 248 KiB');
  });

  it('a closure built on a build host: says where, and that the build host sends what the host lacks', () => {
    const old = [p('nixos-system-tv-box-24.05', 10), p('fish-3.7.1', 700, 'd'.repeat(32))];
    const next = [p('nixos-system-tv-box-24.05', 10, 'e'.repeat(32)), p('fish-3.7.1', 700, 'd'.repeat(32)), p('htop-3.3.0', 300, 'h'.repeat(32))];
    const built = reportOf(side(old, 'tv-box (running)'), { ...side(next, 'working tree (built on moonlight)'), builtOn: 'moonlight' }, 0, { kind: 'system', name: 'tv-box' });
    expect(built.new.builtOn).toBe('moonlight');
    const exact: ClosureDiffReport = { ...built, diff: { ...built.diff!, download: { paths: 2, bytes: 310, exact: true } } };
    expect(summariseHostDiff(exact)).toMatchObject({ state: 'ok', builtOn: 'moonlight', copy: 'moonlight sends 2 paths, 310 B' });
    const unreachable: ClosureDiffReport = { ...built, old: { label: 'tv-box (running)', source: 'host', state: 'unknown', error: 'no route' } };
    expect(summariseHostDiff(unreachable)).toMatchObject({ state: 'unknown', builtOn: 'moonlight', copy: 'moonlight may send up to 3 paths, 1010 B' });
    expect(summariseHostDiff(report(old, next)).builtOn).toBeUndefined();
  });

  it('lists at most three version changes and counts the rest', () => {
    const names = ['aa', 'bb', 'cc', 'dd', 'ee'];
    const r = report(
      names.map((n, i) => p(`${n}-1.0`, 100, String.fromCharCode(97 + i).repeat(32))),
      names.map((n, i) => p(`${n}-2.0`, 100, String.fromCharCode(107 + i).repeat(32))),
    );
    expect(summariseHostDiff(r).packages).toBe('aa 1.0 → 2.0, bb 1.0 → 2.0, cc 1.0 → 2.0, 2 more, +0 added, −0 removed');
    expect(summariseHostDiff(report([p('aa-1.0', 1)], [p('aa-1.0', 1)])).packages).toBe('no version changes, +0 added, −0 removed');
    expect(summariseHostDiff(report([p('aa-1.0', 1)], [p('aa-1.0', 1)])).reboot).toBeUndefined();
  });

  it('is "unknown (host unreachable)" with the reason when the host could not be listed', () => {
    const unknown: ClosureDiffReport = {
      machine: { kind: 'system', name: 'moonlight' },
      old: { label: 'moonlight (running)', source: 'host', state: 'unknown', error: 'connect ECONNREFUSED 127.0.0.1:9' },
      new: { label: 'working tree', source: 'working-tree', state: 'ok', paths: 42, bytes: 3 * 1024 * 1024 },
      durationMs: 5,
    };
    const s = summariseHostDiff(unknown);
    expect(s).toMatchObject({ state: 'unknown', packages: 'unknown (host unreachable)', copy: 'may copy up to 42 paths, 3 MiB', why: 'connect ECONNREFUSED 127.0.0.1:9' });
    expect(s.size).toBe('');
    expect(summariseHostDiff({ ...unknown, old: { ...unknown.old, error: 'Cannot connect.' } }).why).toBe('Cannot connect');
    expect(s.reboot).toBeUndefined();
  });
});

describe('checkoutKey', () => {
  const changes = (head: string | undefined, files: WorkingChanges['files']): WorkingChanges => ({
    repo: { isGit: true, prefix: '', detached: false, ahead: 0, behind: 0, shallow: false, dirty: files.length > 0, conflicted: [], problems: [], ...(head ? { head } : {}) },
    files,
  });
  const file = (path: string, added: number, staged = false) => ({ path, staged, added, removed: 1, binary: false }) as unknown as WorkingChanges['files'][number];

  it('is the same for the same HEAD and edits, in any order, and differs when either moves', () => {
    const a = checkoutKey(changes('abc', [file('x.nix', 1), file('y.nix', 2)]));
    expect(checkoutKey(changes('abc', [file('y.nix', 2), file('x.nix', 1)]))).toBe(a);
    expect(checkoutKey(changes('abd', [file('x.nix', 1), file('y.nix', 2)]))).not.toBe(a);
    expect(checkoutKey(changes('abc', [file('x.nix', 3), file('y.nix', 2)]))).not.toBe(a);
    expect(checkoutKey(changes('abc', [file('x.nix', 1, true), file('y.nix', 2)]))).not.toBe(a);
    expect(checkoutKey(changes(undefined, []))).toBe('no-head#');
  });
});

describe('diffsToStart', () => {
  const q: HostDiffRun = { state: 'queued' };
  const r: HostDiffRun = { state: 'running', jobId: 'j' };
  it('starts queued diffs in order while fewer than the limit run', () => {
    expect(diffsToStart(['a', 'b', 'c'], { a: q, b: q, c: q }, 2)).toEqual(['a', 'b']);
    expect(diffsToStart(['a', 'b', 'c'], { a: r, b: q, c: q }, 2)).toEqual(['b']);
    expect(diffsToStart(['a', 'b', 'c'], { a: r, b: { state: 'starting' }, c: q }, 2)).toEqual([]);
    expect(diffsToStart(['a', 'b', 'c'], { a: { state: 'done', report: {} as ClosureDiffReport }, b: { state: 'failed', error: 'x' }, c: q }, 2)).toEqual(['c']);
    expect(diffsToStart(['a'], {}, 2)).toEqual([]);
  });
});

describe('summariseHostDiff on a host with nothing deployed yet', () => {
  it('says "first deploy", not "unreachable", and how much it may copy', () => {
    const first: ClosureDiffReport = {
      old: { label: 'zephyrus (running)', source: 'host', state: 'unknown', error: 'readlink: /run/current-system: No such file or directory' },
      new: { label: 'working tree', source: 'working-tree', state: 'ok', paths: 1, bytes: 2048 },
      durationMs: 5,
    };
    expect(summariseHostDiff(first, { nothingDeployed: true })).toMatchObject({ state: 'unknown', packages: 'first deploy (no system running to compare with)', copy: 'may copy up to 1 path, 2 KiB' });
  });
});
