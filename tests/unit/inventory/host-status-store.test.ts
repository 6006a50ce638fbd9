import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../../src-main/core/core';
import { FleetError } from '../../../src-main/core/contract';
import type { HostStatus } from '../../../src-main/core/deploy/types';
import { createHostStatusStore, type HostStatusClient } from '../../../src-renderer/stores/host-status';
import { flakeNix, makeTree, nixConfig } from '../homelab/tree';

const cores: FleetCore[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.dispose();
});

/** A real core whose hosts answer nothing: both deploy to a closed loopback port (no name lookups). */
function closedFleet(): FleetCore {
  const meta = JSON.stringify({ system: 'x86_64-linux', deploy: { host: '127.0.0.1', port: 9 } });
  const root = makeTree({ 'flake.nix': flakeNix, 'systems/a/default.nix': nixConfig, 'systems/a/meta.json': meta, 'systems/b/default.nix': nixConfig, 'systems/b/meta.json': meta });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-host-status-home-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-host-status-data-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, FLEET_NIX: '/nonexistent/fleet-test-nix' };
  delete env.SSH_AUTH_SOCK;
  const core = createCore({ host: 'server', dataDir, root, env });
  cores.push(core);
  return core;
}

function clientOf(core: FleetCore): HostStatusClient {
  return {
    invoke: (async (name: string, input: unknown) => {
      const reply = await core.invokeWire(name, input);
      if (!reply.ok) throw FleetError.fromWire(reply.error);
      return reply.result;
    }) as HostStatusClient['invoke'],
    subscribe: (listener) => core.subscribe(listener as never),
  };
}

const status = (target: string, extra: Partial<HostStatus> = {}): HostStatus => ({ target, host: target, online: true, generation: 1, checkedAt: 1, ...extra });

describe('host status store', () => {
  it('marks hosts "checking" until deploy.status answers, then keeps each host with its reason', async () => {
    const store = createHostStatusStore(() => clientOf(closedFleet()));
    const pending = store.getState().check(undefined, { expect: ['a', 'b'], root: '/r' });
    expect(store.getState().checking).toEqual({ a: true, b: true });
    expect(store.getState().checkedRoot).toBe('/r');
    await pending;
    // No nix here: the hosts are read anyway, and the store says why "out of date" is unknown.
    expect(store.getState().error).toMatch(/^Not compared with the checkout: FLEET_NIX/);
    expect(store.getState().checking).toEqual({});
    const a = store.getState().byTarget.a;
    expect(a?.online).toBe(false);
    expect(a?.error).toMatch(/ECONNREFUSED|refused/i);
    expect(store.getState().byTarget.b?.online).toBe(false);
  });

  it('merges deploy.hosts events so hosts not in the event keep their object (their rows do not re-render)', () => {
    const store = createHostStatusStore(() => clientOf(closedFleet()));
    store.getState().apply({ type: 'deploy.hosts', hosts: [status('a'), status('b')] });
    const b = store.getState().byTarget.b;
    store.getState().apply({ type: 'deploy.hosts', hosts: [status('a', { generation: 2 })] });
    expect(store.getState().byTarget.a?.generation).toBe(2);
    expect(store.getState().byTarget.b).toBe(b);
  });

  it('keeps the last known "out of date" when a check without evaluation sees the same system', () => {
    const store = createHostStatusStore(() => clientOf(closedFleet()));
    store.getState().apply({ type: 'deploy.hosts', hosts: [status('a', { currentSystem: '/nix/store/x', wantedSystem: '/nix/store/y', outOfDate: true })] });
    store.getState().apply({ type: 'deploy.hosts', hosts: [status('a', { currentSystem: '/nix/store/x', checkedAt: 2 })] });
    expect(store.getState().byTarget.a?.outOfDate).toBe(true);
    // A different running system: the old answer no longer holds.
    store.getState().apply({ type: 'deploy.hosts', hosts: [status('a', { currentSystem: '/nix/store/z', checkedAt: 3 })] });
    expect(store.getState().byTarget.a?.outOfDate).toBeUndefined();
  });

  it('follows a deploy: deploying while it runs, its outcome at once when it ends, then a fresh check', async () => {
    const store = createHostStatusStore(() => clientOf(closedFleet()));
    store.getState().apply({ type: 'deploy.hosts', hosts: [status('a')] });
    store.getState().apply({ type: 'deploy.started', deployId: 'd1', jobId: 'j1', targets: ['a'] });
    expect(store.getState().deploying).toEqual({ a: 'j1' });
    store.getState().apply({ type: 'deploy.finished', deployId: 'd1', jobId: 'j1', status: 'failed', outcomes: [{ target: 'a', host: 'a', status: 'rolled-back', stages: [] }] });
    expect(store.getState().deploying).toEqual({});
    expect(store.getState().byTarget.a?.lastDeploy).toMatchObject({ id: 'd1', status: 'rolled-back' });
    // The re-check of the deployed host runs now (and finds it unreachable here).
    expect(store.getState().checking).toEqual({ a: true });
    await expect.poll(() => store.getState().checking, { timeout: 10_000 }).toEqual({});
    expect(store.getState().byTarget.a?.online).toBe(false);
  });

  it('forgets everything when another checkout opens', () => {
    const store = createHostStatusStore(() => clientOf(closedFleet()));
    store.getState().apply({ type: 'deploy.hosts', hosts: [status('a')] });
    store.getState().apply({ type: 'checkout.changed', checkout: null });
    expect(store.getState().byTarget).toEqual({});
    expect(store.getState().checkedRoot).toBeNull();
  });
});
