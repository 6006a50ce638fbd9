import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTargets, scanForDeploy } from '../../../src-main/core/deploy/targets';

const flake = path.resolve(__dirname, '../../../flake');

describe('deploy targets from what the user typed', () => {
  const inventory = scanForDeploy(flake);

  it('resolves names, @tags and all from meta.json deploy objects', () => {
    expect(resolveTargets(inventory, ['moonlight']).map((t) => t.id)).toEqual(['moonlight']);
    expect(resolveTargets(inventory, ['@server']).map((t) => t.id).sort()).toEqual(['docker-node', 'moonlight']);
    expect(resolveTargets(inventory, ['all']).map((t) => t.id).sort()).toEqual(['docker-node', 'lg-laptop', 'moonlight', 'tv-box', 'zephyrus']);
    const [moonlight] = resolveTargets(inventory, ['moonlight']);
    expect(moonlight).toMatchObject({ kind: 'system', config: 'moonlight', host: 'moonlight', tags: ['server'] });
  });

  it('deduplicates and resolves homes as home:<config>@<host>', () => {
    expect(resolveTargets(inventory, ['moonlight', '@server', 'moonlight']).map((t) => t.id).sort()).toEqual(['docker-node', 'moonlight']);
    const [home] = resolveTargets(inventory, ['home:soriphoono@zephyrus'], { asUser: 'deploy' });
    expect(home).toMatchObject({ id: 'home:soriphoono@zephyrus', kind: 'home', config: 'soriphoono', host: 'zephyrus', user: 'deploy' });
  });

  it('explains unknown names, empty tags and malformed homes', () => {
    expect(() => resolveTargets(inventory, ['nope'])).toThrow(/No system named "nope".*systems: /);
    expect(() => resolveTargets(inventory, ['@nothing'])).toThrow(/No system has the tag "nothing"/);
    expect(() => resolveTargets(inventory, ['home:soriphoono'])).toThrow(/home:<config>@<host>/);
    expect(() => resolveTargets(inventory, ['home:nobody@zephyrus'])).toThrow(/No standalone home "nobody"/);
  });

  it('a system builds on its meta.json build host, else on the settings default, never when it builds on itself', () => {
    const withMeta = { ...inventory, systems: inventory.systems.map((s) => (s.name === 'moonlight' ? { ...s, deploy: { ...s.deploy, buildHost: 'root@builder' } } : s)) };
    const onItself = { ...inventory, systems: inventory.systems.map((s) => (s.name === 'moonlight' ? { ...s, deploy: { ...s.deploy, buildOnTarget: true } } : s)) };
    expect(resolveTargets(withMeta, ['moonlight'], { defaultBuildHost: 'other' })[0]?.buildHost).toBe('root@builder');
    expect(resolveTargets(inventory, ['zephyrus'], { defaultBuildHost: 'builder' })[0]?.buildHost).toBe('builder');
    expect(resolveTargets(inventory, ['zephyrus'])[0]?.buildHost).toBeUndefined();
    expect(resolveTargets(onItself, ['moonlight'], { defaultBuildHost: 'builder' })[0]?.buildHost).toBeUndefined();
    // The build host itself is built for in place, not through itself.
    expect(resolveTargets(inventory, ['moonlight'], { defaultBuildHost: 'moonlight' })[0]?.buildHost).toBeUndefined();
  });
});
