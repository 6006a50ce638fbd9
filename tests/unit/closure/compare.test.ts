import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { biggestSizeChanges, compareClosures } from '../../../src-main/core/closure/compare';
import { closureListingArgv, closureRootOf, parseClosureJson } from '../../../src-main/core/closure/listing';
import type { ClosureEntry } from '../../../src-main/core/closure/types';
import { diffAgainstHost } from '../../../src-main/core/closure/report';

const recorded = (name: string) => parseClosureJson(fs.readFileSync(path.join(import.meta.dirname, 'recorded', name), 'utf8'));
const p = (name: string, narSize = 1000, hash = 'a'.repeat(32)): ClosureEntry => ({ path: `/nix/store/${hash}-${name}`, narSize });

describe('closure diff of recorded path lists (moonlight: fish 3.7.1 -> 3.7.2, openssh 9.6p1 -> 9.7p1, initrd modules)', () => {
  const before = recorded('moonlight-fish-3.7.1.json');
  const after = recorded('moonlight-fish-3.7.2.json');
  const diff = compareClosures(before, after);

  it('reads nix 2.8 path-info JSON', () => {
    expect(before.length).toBeGreaterThan(20);
    expect(before.every((e) => e.path.startsWith('/nix/store/') && e.narSize > 0)).toBe(true);
  });

  it('lists the version bumps as upgrades', () => {
    const upgraded = diff.packages.filter((x) => x.change === 'upgraded');
    expect(upgraded.map((x) => [x.name, x.oldVersions.join(), x.newVersions.join()])).toEqual([
      ['fish', '3.7.1', '3.7.2'],
      ['openssh', '9.6p1', '9.7p1'],
    ]);
  });

  it('sees the initrd change as needing a reboot and counts what to copy', () => {
    expect(diff.rebootNeeded).toBe(true);
    expect(diff.packages.find((x) => x.pname === 'initrd-linux')?.change).toBe('rebuilt');
    const newOnly = after.filter((e) => !before.some((b) => b.path === e.path));
    expect(diff.download.paths).toBe(newOnly.length);
    expect(diff.download.bytes).toBe(newOnly.reduce((s, e) => s + e.narSize, 0));
    expect(diff.sizeDelta).toBe(diff.newSize - diff.oldSize);
  });

  it('is empty between a closure and itself', () => {
    const same = compareClosures(before, before);
    expect(same.packages).toEqual([]);
    expect(same.download).toEqual({ paths: 0, bytes: 0 });
    expect(same.rebootNeeded).toBe(false);
  });
});

describe('closure diff rules', () => {
  it('downgrades, additions, removals, outputs and names without a version', () => {
    const diff = compareClosures(
      [p('htop-3.3.0', 100), p('tmux-3.4', 300), p('openssl-3.0.13-bin', 50), p('etc', 10, 'b'.repeat(32)), p('old-tool', 5)],
      [p('htop-3.2.2', 90), p('podman-5.0.2', 900), p('openssl-3.0.14-bin', 60), p('etc', 12, 'c'.repeat(32))],
    );
    const byName = Object.fromEntries(diff.packages.map((x) => [x.name, x]));
    expect(byName.htop).toMatchObject({ change: 'downgraded', sizeDelta: -10 });
    expect(byName.podman).toMatchObject({ change: 'added', oldVersions: [], newVersions: ['5.0.2'], sizeDelta: 900 });
    expect(byName.tmux).toMatchObject({ change: 'removed', sizeDelta: -300 });
    expect(byName['old-tool']).toMatchObject({ change: 'removed', oldVersions: [''] });
    expect(byName['openssl (bin)']).toMatchObject({ change: 'upgraded', output: 'bin' });
    expect(byName.etc).toMatchObject({ change: 'rebuilt', sizeDelta: 2 });
    expect(diff.counts).toEqual({ upgraded: 1, downgraded: 1, changed: 0, added: 1, removed: 2, rebuilt: 1 });
    expect(diff.rebootNeeded).toBe(false);
  });

  it('two versions of one package on a side are compared by the newest', () => {
    const diff = compareClosures([p('python3-3.11.9'), p('python3-3.12.3', 1000, 'd'.repeat(32))], [p('python3-3.12.4')]);
    expect(diff.packages[0]).toMatchObject({ change: 'upgraded', oldVersions: ['3.11.9', '3.12.3'], newVersions: ['3.12.4'] });
  });

  it('picks the biggest growers and shrinkers for the chart', () => {
    const diff = compareClosures([p('a-1', 100), p('b-1', 500), p('c-1', 50)], [p('a-2', 400), p('b-2', 100), p('c-2', 60)]);
    const chart = biggestSizeChanges(diff, 1);
    expect(chart.growers.map((x) => x.name)).toEqual(['a']);
    expect(chart.shrinkers.map((x) => x.name)).toEqual(['b']);
  });

  it('parses path-info JSON of newer nix (object keyed by path) and skips invalid paths', () => {
    const text = JSON.stringify({ '/nix/store/aaa-x-1': { narSize: 5 }, '/nix/store/bbb-y-2': null });
    expect(parseClosureJson(text)).toEqual([{ path: '/nix/store/aaa-x-1', narSize: 5 }]);
    expect(parseClosureJson('[{"path":"/nix/store/aaa-x-1","valid":false}]')).toEqual([]);
    expect(() => parseClosureJson('not json')).toThrow(/not JSON/);
  });
});

describe('the store path a host listing was made for', () => {
  it('is the path nothing else refers to, not the first path that looks like a generation', () => {
    const text = fs.readFileSync(path.join(import.meta.dirname, 'recorded', 'moonlight-fish-3.7.1.json'), 'utf8');
    const listing = JSON.parse(text) as { path: string; references: string[] }[];
    const system = listing.find((e) => /-nixos-system-/.test(e.path))!;
    // A NixOS system with home-manager holds the user's generation in its closure; nix sorts
    // by hash, so that generation can come first.
    const home = '/nix/store/00000000000000000000000000000000-home-manager-generation';
    system.references.push(home);
    const withHome = [{ path: home, narHash: 'sha256:0', narSize: 1, references: [] }, ...listing];
    expect(closureRootOf(JSON.stringify(withHome))).toBe(system.path);
    expect(closureRootOf(JSON.stringify(Object.fromEntries(withHome.map(({ path: p, ...rest }) => [p, rest]))))).toBe(system.path);
    // Two roots: no single answer.
    expect(closureRootOf(JSON.stringify([...withHome, { path: '/nix/store/11111111111111111111111111111111-other', narSize: 1, references: [] }]))).toBeUndefined();
  });
});

describe('a diff against a host (recorded host listing)', () => {
  it("names the host's running system as the old side, even when a home generation is listed first", async () => {
    const text = fs.readFileSync(path.join(import.meta.dirname, 'recorded', 'moonlight-fish-3.7.1.json'), 'utf8');
    const listing = JSON.parse(text) as { path: string; references: string[] }[];
    const system = listing.find((e) => /-nixos-system-/.test(e.path))!;
    const home = '/nix/store/00000000000000000000000000000000-home-manager-generation';
    system.references.push(home);
    const hostOutput = JSON.stringify([{ path: home, narHash: 'sha256:0', narSize: 1, references: [] }, ...listing]);
    // The host answers the listing command (whatever form it takes) with the recorded listing.
    const listingCommand = closureListingArgv('/run/current-system').join('\0');
    const exec = async (argv: readonly string[]) =>
      argv.join('\0') === listingCommand ? { code: 0, stdout: hostOutput, stderr: '' } : { code: 0, stdout: '', stderr: '' };
    const entries = recorded('moonlight-fish-3.7.2.json');
    const report = await diffAgainstHost(async () => exec, 'moonlight (running)', { label: 'working tree', source: 'working-tree', storePath: entries[0]!.path, entries });
    expect(report.old.storePath).toBe(system.path);
  });
});
