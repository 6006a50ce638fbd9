import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../../src-main/core/core';
import { FleetError } from '../../../src-main/core/contract';
import type { Inventory } from '../../../src-main/core/homelab/types';
import { createInventoryStore, type InventoryClient } from '../../../src-renderer/stores/inventory';
import { flakeNix, makeTree, nixConfig } from '../homelab/tree';

const cores: FleetCore[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.dispose();
});

/** A real core in this process; nix is pointed at a missing binary so no process starts. */
function coreFor(root: string | undefined): FleetCore {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-store-data-'));
  // 'server': a live core, as behind `fleet serve`, that evaluates and publishes on its own.
  const core = createCore({ host: 'server', dataDir, ...(root ? { root } : {}), env: { ...process.env, FLEET_NIX: '/nonexistent/fleet-test-nix' } });
  cores.push(core);
  return core;
}

/** The same error-as-data path as the renderer's client over a bridge. */
function clientOf(core: FleetCore): InventoryClient {
  return {
    invoke: (async (name: string, input: unknown) => {
      const reply = await core.invokeWire(name, input);
      if (!reply.ok) throw FleetError.fromWire(reply.error);
      return reply.result;
    }) as InventoryClient['invoke'],
    subscribe: (listener) => core.subscribe(listener as never),
  };
}

const tree = () => makeTree({ 'flake.nix': flakeNix, 'systems/a/default.nix': nixConfig, 'homes/u/default.nix': nixConfig, 'droids/p/default.nix': nixConfig });

describe('inventory store', () => {
  it('loads the scan, then applies inventory.changed events of evaluations', async () => {
    const core = coreFor(tree());
    const store = createInventoryStore(() => clientOf(core));
    await store.getState().load();
    const first = store.getState().inventory;
    expect(first?.systems.map((s) => s.name)).toEqual(['a']);
    expect(store.getState().loading).toBe(false);
    await expect.poll(() => store.getState().inventory?.flake.state).toBe('unavailable');
    expect(store.getState().inventory?.flake.error).toContain('nix is not installed');
    // Another front end asks for an evaluation: the store hears it through the event alone.
    const before = store.getState().inventory?.revision ?? 0;
    await core.invoke('inventory.evaluate', {});
    expect(store.getState().inventory?.revision).toBeGreaterThan(before);
    expect(store.getState().inventory?.revision).toBeGreaterThanOrEqual(first?.revision ?? 0);
  });

  it('keeps the newer of a reply and an event', () => {
    const core = coreFor(tree());
    const store = createInventoryStore(() => clientOf(core));
    const base = { root: '/lab', systems: [], standaloneHomes: [], droids: [] } as unknown as Inventory;
    store.getState().apply({ type: 'inventory.changed', inventory: { ...base, revision: 5 } });
    store.getState().apply({ type: 'inventory.changed', inventory: { ...base, revision: 3 } });
    expect(store.getState().inventory?.revision).toBe(5);
    store.getState().apply({ type: 'inventory.changed', inventory: { ...base, root: '/other', revision: 1 } });
    expect(store.getState().inventory?.root).toBe('/other');
  });

  it('shows the error a person can act on when no checkout is open', async () => {
    const core = coreFor(undefined);
    const store = createInventoryStore(() => clientOf(core));
    await store.getState().load();
    expect(store.getState().inventory).toBeNull();
    expect(store.getState().error).toBe('No homelab is open.');
  });

  it('asks again after the WebSocket reconnects (events sent meanwhile are lost)', async () => {
    const core = coreFor(tree());
    const store = createInventoryStore(() => clientOf(core));
    await store.getState().load();
    await expect.poll(() => store.getState().inventory?.flake.state).toBe('unavailable');
    store.setState({ inventory: { ...(store.getState().inventory as Inventory), systems: [] } });
    store.getState().apply({ type: 'bridge.status', connected: true });
    await expect.poll(() => store.getState().inventory?.systems.map((s) => s.name)).toEqual(['a']);
  });

  it('forgets the inventory when another checkout is opened', () => {
    const core = coreFor(tree());
    const store = createInventoryStore(() => clientOf(core));
    store.getState().apply({ type: 'inventory.changed', inventory: { root: '/x', revision: 1 } as unknown as Inventory });
    store.getState().apply({ type: 'checkout.changed', checkout: null });
    expect(store.getState().inventory).toBeNull();
  });
});
