import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyClosure } from '../../src-main/core/deploy/copy-closure';
import { HostSession } from '../../src-main/core/deploy/host-session';
import { startDeployWorld, type DeployWorld } from './deploy-world';

/**
 * The closure copy on its own, against a real sshd + nix host: NARs serialised here must
 * pass the host's hash check, the nix-store --serve source must too, and the one query
 * must see what the host already has.
 */
describe('closure copy over one nix-store --serve session', () => {
  let world: DeployWorld;
  let dir: string;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus'] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-copy-'));
  });
  afterAll(async () => {
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh store path (a dependency and a root referring to it), unique per run. */
  function closure(name: string): { root: string; dependency: string } {
    const dep = path.join(dir, `${name}-dep`);
    fs.mkdirSync(path.join(dep, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(dep, 'bin', 'tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dep, 'data'), randomBytes(1536 * 1024 + 7));
    fs.symlinkSync('bin/tool', path.join(dep, 'tool-link'));
    const dependency = spawnSync('nix-store', ['--add', dep], { encoding: 'utf8' }).stdout.trim();
    expect(dependency).toMatch(/^\/nix\/store\//);
    // A derivation-free root that references the dependency: a text file in the store.
    const expr = `builtins.toFile "${name}-root" "uses \${builtins.storePath ${dependency}}"`;
    const root = spawnSync('nix-instantiate', ['--eval', '--read-write-mode', '-E', expr], { encoding: 'utf8' }).stdout.trim().replace(/^"|"$/g, '');
    expect(root).toMatch(/^\/nix\/store\//);
    return { root, dependency };
  }

  async function session(): Promise<HostSession> {
    return new HostSession(await world.connect('zephyrus'), { kind: 'root' });
  }

  for (const narSource of ['here', 'nix-store'] as const) {
    it(`copies a closure with NARs from ${narSource === 'here' ? 'this process' : 'a local nix-store --serve'}: the host verifies and registers them`, async () => {
      const { root, dependency } = closure(`fleet-copy-${narSource}-${randomBytes(4).toString('hex')}`);
      const host = world.lab.host('zephyrus');
      const s = await session();
      try {
        const progress: number[] = [];
        const first = await copyClosure(s, [root], { narSource, onProgress: (p) => progress.push(p.bytesDone) });
        expect(first.copiedPaths).toBe(2);
        expect(first.copiedBytes).toBe(first.closureBytes);
        expect(progress.at(-1)).toBe(first.closureBytes);
        const verified = await host.exec(['nix-store', '--verify-path', root, dependency]);
        expect(verified.code, verified.stderr).toBe(0);
        expect((await host.exec(['nix-store', '-q', '--references', root])).stdout).toContain(dependency);
        // The same closure again: the one query finds everything and nothing is sent.
        const second = await copyClosure(s, [root], { narSource });
        expect(second.copiedPaths).toBe(0);
      } finally {
        s.connection.close();
      }
    });
  }

  it('on a long link (30 ms round trip) the copy still goes through, its in-flight limit sized from keepalive round trips sshd answers itself', async () => {
    const { root } = closure(`fleet-copy-long-${randomBytes(4).toString('hex')}`);
    const host = world.lab.host('zephyrus');
    await host.slowLink({ delayMs: 30 });
    const s = await session();
    try {
      // A lower bound the link itself imposes (the relay holds every packet 15 ms each way), not a speed.
      const rtt = await s.connection.roundTripMs();
      expect(rtt).toBeGreaterThanOrEqual(30);
      const copied = await copyClosure(s, [root]);
      expect(copied.copiedPaths).toBe(2);
      expect((await host.exec(['nix-store', '--verify-path', root])).code).toBe(0);
    } finally {
      s.connection.close();
      await host.restoreLinkSpeed();
    }
    // Closed: nothing to measure, and no error.
    expect(await s.connection.roundTripMs()).toBeUndefined();
  });
});
