import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildProgressModel } from '../../../src-main/core/nix/build-progress';
import { bestLocation } from '../../../src-main/core/nix/nix-errors';
import { describeTargetFailure } from '../../../src-main/core/nix/build';
import { configurationTarget } from '../../../src-main/core/nix/targets';
import type { LogStream } from '../../../src-main/core/jobs/types';

// Real nix 2.8 streams of flake/ builds (tests/fixtures/nix, recorded by its record.sh).
const fixtures = path.resolve(__dirname, '../../fixtures/nix');
const flake = path.resolve(__dirname, '../../../flake');

function replay(name: string, root = flake) {
  const lines = fs.readFileSync(path.join(fixtures, name), 'utf8').split('\n').filter(Boolean);
  const log: { text: string; stream: LogStream }[] = [];
  const model = new BuildProgressModel('moonlight', root, (text, stream) => log.push({ text, stream }));
  const snapshots = [];
  for (const line of lines) {
    model.feed(line);
    if (model.dirty) snapshots.push(model.snapshot());
  }
  return { model, log, snapshots, lines };
}

describe('recorded build streams', () => {
  it('counts every derivation of a successful build as done', () => {
    const { model, lines, snapshots, log } = replay('build-success.jsonl');
    const started = lines.filter((l) => l.includes('"action":"start"') && l.includes('"type":105')).length;
    expect(started).toBeGreaterThan(0);
    expect(model.builds()).toEqual({ done: started, running: 0, failed: 0, total: started });
    expect(model.runningBuilds()).toEqual([]);
    // progress only moves forward and phases were seen while building
    const dones = snapshots.map((s) => s.done ?? 0);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(snapshots.some((s) => s.running?.some((r) => r.phase))).toBe(true);
    expect(snapshots[0]!.stage).toBe('evaluate');
    expect(log.some((l) => l.stream === 'stdout' && /^[\w.+-]+> /.test(l.text))).toBe(true);
    expect(model.errors).toEqual([]);
  });

  it('Nix 2.34: a finished build counts what was built, though nix still expects one more', () => {
    const { model, lines } = replay('nix-2.34-build-two.jsonl');
    const built = lines.filter((l) => l.includes('"action":"start"') && l.includes('"type":105')).length;
    expect(built).toBe(2);
    // What nix itself last said: 2 of 3 (the over-count this behaviour is about).
    expect(model.builds()).toMatchObject({ done: 2, total: 3 });
    expect(model.snapshot('succeeded')).toMatchObject({ done: 2, total: 2 });
  });

  it('names the failed derivation and keeps the end of its log', () => {
    const { model } = replay('build-failure.jsonl');
    expect(model.failures.length).toBe(1);
    const failure = model.failures[0]!;
    expect(failure.name).toMatch(/^backup-scripts/);
    expect(failure.drv).toMatch(/^\/nix\/store\/.*\.drv$/);
    expect(failure.logTail.length).toBeGreaterThan(0);
    expect(model.builds().failed).toBeGreaterThanOrEqual(1);
    expect(model.snapshot('failed').failedDerivations?.[0]?.name).toBe(failure.name);
  });

  it('points an evaluation error at the checkout file and line', () => {
    const { model } = replay('eval-syntax-error.jsonl');
    const error = model.errors[0]!;
    const location = bestLocation(error, flake)!;
    expect(location.file).toBe(path.join(flake, 'systems/moonlight/default.nix'));
    expect(location.line).toBeGreaterThan(0);
    expect(error.message).toMatch(/syntax error/);
    expect(model.stage()).toBe('evaluate');
  });

  it('follows several targets in one stream', () => {
    const { model, lines } = replay('build-many.jsonl');
    const started = lines.filter((l) => l.includes('"type":105') && l.includes('"action":"start"')).length;
    expect(model.builds().done).toBe(started);
  });

  it('shows a line that is not JSON as text', () => {
    const log: { text: string; stream: LogStream }[] = [];
    const model = new BuildProgressModel('x', undefined, (text, stream) => log.push({ text, stream }));
    model.feed('this is not json');
    model.feed('@nix {broken');
    expect(log).toEqual([
      { text: 'this is not json', stream: 'stderr' },
      { text: '@nix {broken', stream: 'stderr' },
    ]);
  });
});

describe('a recorded substitution from a binary cache', () => {
  it('counts paths and bytes fetched up to the expected totals', () => {
    // nix 2.8 substituting six moonlight paths from a file:// binary cache (recorded here).
    const text = fs.readFileSync(path.resolve(__dirname, 'streams/substitute-local-cache.log'), 'utf8');
    const log: { text: string; stream: LogStream }[] = [];
    const model = new BuildProgressModel('moonlight', flake, (t, stream) => log.push({ text: t, stream }));
    let sawPartial = false;
    for (const line of text.split('\n')) {
      model.feed(line);
      const d = model.downloads();
      if (d.bytesDone > 0 && d.bytesDone < d.bytesTotal) sawPartial = true;
    }
    expect(model.builds().total).toBe(0);
    const d = model.downloads();
    expect(d).toMatchObject({ done: 6, total: 6 });
    expect(d.bytesTotal).toBeGreaterThan(2_000_000);
    expect(d.bytesDone).toBe(d.bytesTotal);
    expect(sawPartial).toBe(true);
    expect(log.filter((l) => l.text.startsWith('fetching ')).length).toBe(6);
  });
});

describe('what a failed target says', () => {
  const target = configurationTarget('droid', 'soriphoono', 'droid:soriphoono');
  it('explains a platform this machine cannot build for', () => {
    const { model } = replay('droid-no-platform.jsonl');
    const error = describeTargetFailure(target, model, '', flake);
    expect(error.message).toBe('droid:soriphoono: this machine cannot build for aarch64-linux (it is x86_64-linux).');
    expect(error.hint).toMatch(/extra-platforms=aarch64-linux/);
  });
  it('names the failed derivation with the nix log hint', () => {
    const { model } = replay('build-failure.jsonl');
    const error = describeTargetFailure(configurationTarget('system', 'moonlight'), model, '', flake);
    expect(error.code).toBe('build-failed');
    expect(error.message).toMatch(/^moonlight: backup-scripts-1\.0 failed to build\.$/);
    expect(error.hint).toMatch(/nix log \/nix\/store\/\w{32}-backup-scripts-1\.0\.drv/);
  });
  it('gives an evaluation error with its checkout location', () => {
    const { model } = replay('eval-syntax-error.jsonl');
    const error = describeTargetFailure(configurationTarget('system', 'moonlight'), model, '', flake);
    expect(error.code).toBe('eval-failed');
    expect(error.location?.file).toBe(path.join(flake, 'systems/moonlight/default.nix'));
  });
});
