import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../src-main/core/core';
import type { HostStatus } from '../../src-main/core/deploy/types';
import { localNixProgram } from '../harness/toolchain/index.js';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

/**
 * The out paths the systems view evaluates are the ones a deploy needs: a deploy on the same
 * checkout state reuses them, an already-built, unchanged fleet runs no nix evaluation or
 * build at all, and any edit of a tracked file (committed or not) is evaluated afresh. The
 * core runs the real nix through a wrapper folder that logs each call (FLEET_NIX).
 */
describe('deploys reuse the evaluated out paths until the checkout changes', () => {
  let world: DeployWorld;
  let core: FleetCore;
  let calls: string;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus'] });
    const wrapper = path.join(world.home, 'nix-logged');
    fs.mkdirSync(wrapper);
    calls = path.join(wrapper, 'calls.log');
    const real = (name: 'nix' | 'nix-store') => {
      const program = localNixProgram(name, world.env);
      return path.isAbsolute(program) ? program : spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', env: world.env }).stdout.trim();
    };
    fs.writeFileSync(path.join(wrapper, 'nix'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${calls}"\nexec "${real('nix')}" "$@"\n`, { mode: 0o755 });
    fs.symlinkSync(real('nix-store'), path.join(wrapper, 'nix-store'));
    core = createCore({ host: 'cli', dataDir: world.dataDir, root: world.checkout, env: { ...world.env, FLEET_NIX: wrapper } });
    core.subscribe((event) => {
      if (event.type === 'prompt.request') setImmediate(() => void core.invoke('prompts.answer', { id: event.request.id, accept: true }).catch(() => undefined));
    });
  });
  afterAll(async () => {
    await core?.dispose();
    await world?.stop();
  });

  /** The nix calls (their arguments, one line each) made while `fn` ran. */
  async function nixCallsDuring(fn: () => Promise<void>): Promise<string[]> {
    fs.writeFileSync(calls, '');
    await fn();
    return fs.readFileSync(calls, 'utf8').split('\n').filter(Boolean);
  }
  const evaluations = (lines: readonly string[]) => lines.filter((l) => / eval /.test(` ${l} `));
  const builds = (lines: readonly string[]) => lines.filter((l) => / build /.test(` ${l} `));

  it('a deploy after the systems view evaluates nothing again; an unchanged re-deploy runs no nix eval or build', async () => {
    let wanted: string | undefined;
    const viewCalls = await nixCallsDuring(async () => {
      const hosts = (await core.invoke('deploy.status', { targets: ['zephyrus'] })) as HostStatus[];
      wanted = hosts[0]?.wantedSystem;
    });
    expect(evaluations(viewCalls)).toHaveLength(1);
    expect(wanted).toMatch(/^\/nix\/store\/.*-nixos-system-zephyrus-/);

    const deployCalls = await nixCallsDuring(async () => {
      const { job, record } = await world.deploy({ targets: ['zephyrus'] }, { core });
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(outcomeOf(record, 'zephyrus').outPath).toBe(wanted);
    });
    expect(evaluations(deployCalls)).toEqual([]);
    // Not built yet: the one build of the deploy (its evaluation is nix build's own).
    expect(builds(deployCalls)).toHaveLength(1);

    const againCalls = await nixCallsDuring(async () => {
      const { job, record } = await world.deploy({ targets: ['zephyrus'] }, { core });
      expect(job.status).toBe('succeeded');
      expect(outcomeOf(record, 'zephyrus').upToDate).toBe(true);
    });
    expect(evaluations(againCalls)).toEqual([]);
    expect(builds(againCalls)).toEqual([]);
  });

  it('an uncommitted edit of a tracked file is evaluated afresh and deployed; an untracked file changes nothing', async () => {
    const host = world.lab.host('zephyrus');
    const before = await host.currentSystem();
    // Untracked files are not part of a git+file flake: the cached evaluation still holds.
    fs.writeFileSync(path.join(world.checkout, 'notes.txt'), 'not tracked\n');
    const untrackedCalls = await nixCallsDuring(async () => {
      const { job, record } = await world.deploy({ targets: ['zephyrus'] }, { core });
      expect(job.status).toBe('succeeded');
      expect(outcomeOf(record, 'zephyrus').upToDate).toBe(true);
    });
    expect(evaluations(untrackedCalls)).toEqual([]);

    const file = path.join(world.checkout, 'systems', 'zephyrus', 'default.nix');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('networking.hostName = "zephyrus";', 'networking.hostName = "zephyrus";\n  environment.etc."fleet-cache-test".text = "edited";'));
    let edited: string | undefined;
    const editCalls = await nixCallsDuring(async () => {
      const { job, record } = await world.deploy({ targets: ['zephyrus'] }, { core });
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      edited = outcomeOf(record, 'zephyrus').outPath;
      expect(record?.dirty).toBe(true);
    });
    expect(evaluations(editCalls)).toHaveLength(1);
    expect(edited).not.toBe(before);
    expect(await host.currentSystem()).toBe(edited);
    expect((await host.exec(['cat', '/etc/fleet-cache-test'])).stdout).toBe('edited');

    // Edited back: the state evaluated at first again (clean, same commit), so its cached paths.
    fs.writeFileSync(file, text);
    const backCalls = await nixCallsDuring(async () => {
      const { job, record } = await world.deploy({ targets: ['zephyrus'] }, { core });
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(outcomeOf(record, 'zephyrus').outPath).toBe(before);
    });
    expect(evaluations(backCalls)).toEqual([]);
    expect(await host.currentSystem()).toBe(before);
  });
});
