import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type FleetCore } from '../../../src-main/core/core';
import type { Inventory, SystemItem } from '../../../src-main/core/homelab/types';
import { flakeNix, makeTree, nixConfig } from './tree';

const cores: FleetCore[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.dispose();
});

function coreFor(root: string): FleetCore {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-service-data-'));
  const core = createCore({ host: 'cli', dataDir, root, env: { ...process.env, FLEET_NIX: '/nonexistent/fleet-test-nix' } });
  cores.push(core);
  return core;
}

const meta = '{\n\t"system": "x86_64-linux",\n\t"hardware": {"cpu": "amd"}\n}\n';

describe('inventory commands', () => {
  it('inventory.setDeployTarget writes meta.json, keeping the other keys and tabs, and the scan shows it', async () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/moon/default.nix': nixConfig, 'systems/moon/meta.json': meta });
    const core = coreFor(root);
    const system = (await core.invoke('inventory.setDeployTarget', { system: 'moon', deploy: { host: 'moon.lan', user: 'deploy', port: 2222, tags: ['server'] } })) as SystemItem;
    expect(system.deploy).toEqual({ host: 'moon.lan', user: 'deploy', port: 2222, tags: ['server'], buildOnTarget: false, sudo: true, checks: [] });
    const text = fs.readFileSync(path.join(root, 'systems/moon/meta.json'), 'utf8');
    expect(text.startsWith('{\n\t"system": "x86_64-linux",\n\t"hardware": {"cpu": "amd"},\n\t"deploy": {\n\t\t"host": "moon.lan",')).toBe(true);
    await core.invoke('inventory.setDeployTarget', { system: 'moon', deploy: null });
    expect(fs.readFileSync(path.join(root, 'systems/moon/meta.json'), 'utf8')).toBe(meta);
  });

  it("keeps the deploy settings the target editor does not own (checks, buildHost) when it saves or clears the target", async () => {
    const withChecks = '{\n  "system": "x86_64-linux",\n  "deploy": {"host": "old", "buildHost": "builder", "checks": [{"unit": "nginx.service"}]}\n}\n';
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/moon/default.nix': nixConfig, 'systems/moon/meta.json': withChecks });
    const core = coreFor(root);
    await core.invoke('inventory.setDeployTarget', { system: 'moon', deploy: { host: 'moon.lan' } });
    const read = () => JSON.parse(fs.readFileSync(path.join(root, 'systems/moon/meta.json'), 'utf8')) as { deploy?: unknown };
    expect(read().deploy).toEqual({ buildHost: 'builder', checks: [{ unit: 'nginx.service' }], host: 'moon.lan' });
    await core.invoke('inventory.setDeployTarget', { system: 'moon', deploy: null });
    expect(read().deploy).toEqual({ buildHost: 'builder', checks: [{ unit: 'nginx.service' }] });
  });

  it('creates meta.json when the folder has none', async () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/sun/default.nix': nixConfig });
    await coreFor(root).invoke('inventory.setDeployTarget', { system: 'sun', deploy: { buildOnTarget: true } });
    expect(JSON.parse(fs.readFileSync(path.join(root, 'systems/sun/meta.json'), 'utf8'))).toEqual({ system: 'x86_64-linux', deploy: { buildOnTarget: true } });
  });

  it('refuses unknown systems, single-file systems, unsafe hosts and broken meta.json, with reasons', async () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/file.nix': nixConfig, 'systems/bad/default.nix': nixConfig, 'systems/bad/meta.json': '{nope' });
    const core = coreFor(root);
    await expect(core.invoke('inventory.setDeployTarget', { system: 'ghost', deploy: null })).rejects.toThrow(/No system named "ghost" \(systems: bad, file\)/);
    await expect(core.invoke('inventory.setDeployTarget', { system: 'file', deploy: { host: 'x' } })).rejects.toThrow(/single file/);
    await expect(core.invoke('inventory.setDeployTarget', { system: 'bad', deploy: { host: '-oProxyCommand=evil' } })).rejects.toThrow(/starts with "-"/);
    await expect(core.invoke('inventory.setDeployTarget', { system: 'bad', deploy: { host: 'ok' } })).rejects.toThrow(/meta.json is not a JSON object/);
    await expect(core.invoke('inventory.setDeployTarget', { system: 'bad', deploy: { port: 70000 } })).rejects.toThrow(/port must be 1-65535/);
    expect(fs.readFileSync(path.join(root, 'systems/bad/meta.json'), 'utf8')).toBe('{nope');
  });

  it('inventory.setLayoutRoot overrides detection for this checkout and null detects again', async () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/a/default.nix': nixConfig, 'infra/systems/b/default.nix': nixConfig });
    const core = coreFor(root);
    expect(((await core.invoke('inventory.get', {})) as Inventory).systems.map((s) => s.name)).toEqual(['a']);
    expect(((await core.invoke('inventory.setLayoutRoot', { layoutRoot: 'infra' })) as Inventory).systems.map((s) => s.name)).toEqual(['b']);
    expect(((await core.invoke('inventory.get', { rescan: true })) as Inventory).layoutRoot).toBe(path.join(root, 'infra'));
    expect(((await core.invoke('inventory.setLayoutRoot', { layoutRoot: null })) as Inventory).systems.map((s) => s.name)).toEqual(['a']);
    await expect(core.invoke('inventory.setLayoutRoot', { layoutRoot: '../elsewhere' })).rejects.toThrow(/inside the checkout/);
  });

  it('inventory.evaluate answers with the reason nix could not be used', async () => {
    const root = makeTree({ 'flake.nix': flakeNix, 'systems/a/default.nix': nixConfig });
    const inv = (await coreFor(root).invoke('inventory.evaluate', {})) as Inventory;
    expect(inv.flake.state).toBe('unavailable');
    expect(inv.flake.error).toContain('/nonexistent/fleet-test-nix');
    expect(inv.systems[0]?.flake).toBe('unknown');
  });
});
