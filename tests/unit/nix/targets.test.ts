import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetError } from '../../../src-main/core/contract';
import {
  attrName,
  closeMatches,
  configurationTarget,
  editDistance,
  parseTargetSpec,
  resolveTargets,
  scanTargetNames,
} from '../../../src-main/core/nix/targets';

const flake = path.resolve(__dirname, '../../../flake');

describe('targets', () => {
  it('measures edit distance', () => {
    expect(editDistance('moonlite', 'moonlight')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
  it('suggests close names, closest first', () => {
    expect(closeMatches('moonlite', ['zephyrus', 'moonlight', 'lg-laptop'])).toEqual(['moonlight']);
    expect(closeMatches('laptop', ['lg-laptop', 'zephyrus'])).toEqual(['lg-laptop']);
    expect(closeMatches('xyz', ['moonlight'])).toEqual([]);
  });
  it('parses prefixes and attribute paths', () => {
    expect(parseTargetSpec('moonlight')).toEqual({ kind: 'any', name: 'moonlight' });
    expect(parseTargetSpec('home:alice')).toEqual({ kind: 'home', name: 'alice' });
    expect(parseTargetSpec('.#nixosConfigurations.x.config.system.build.toplevel')).toEqual({
      kind: 'attr',
      name: 'nixosConfigurations.x.config.system.build.toplevel',
    });
    expect(parseTargetSpec('packages.x86_64-linux.hello').kind).toBe('attr');
  });
  it('builds the standard attribute paths, quoting odd names', () => {
    expect(configurationTarget('system', 'moonlight').attrPath).toBe('nixosConfigurations.moonlight.config.system.build.toplevel');
    expect(configurationTarget('home', 'alice').attrPath).toBe('homeConfigurations.alice.activationPackage');
    expect(configurationTarget('droid', 'phone').attrPath).toBe('nixOnDroidConfigurations.phone.activationPackage');
    expect(attrName('a.b')).toBe('"a.b"');
    expect(attrName('ok-name')).toBe('ok-name');
  });
  it('scans the example homelab', () => {
    const names = scanTargetNames(flake);
    expect(names.system).toEqual(['docker-node', 'lg-laptop', 'moonlight', 'tv-box', 'zephyrus']);
    expect(names.home).toEqual(['soriphoono']);
    expect(names.droid).toEqual(['soriphoono']);
  });
  it('resolves names and asks for a prefix when a name is both a home and a droid', async () => {
    const [moon] = await resolveTargets(['moonlight'], flake, { nix: '/nonexistent' });
    expect(moon!.installable).toBe('.#nixosConfigurations.moonlight.config.system.build.toplevel');
    const both = await resolveTargets(['moonlight', 'system:moonlight'], flake, { nix: '/nonexistent' });
    expect(both.map((t) => t.label)).toEqual(['moonlight']);
    const [home] = await resolveTargets(['home:soriphoono'], flake, { nix: '/nonexistent' });
    expect(home!.label).toBe('home:soriphoono');
    await expect(resolveTargets(['soriphoono'], flake, { nix: '/nonexistent' })).rejects.toThrow(/home:soriphoono, droid:soriphoono/);
  });
  it('rejects names with shell or nix syntax', async () => {
    await expect(resolveTargets(['a;rm -rf'], flake)).rejects.toBeInstanceOf(FleetError);
    await expect(resolveTargets(['.#a"b'], flake)).rejects.toThrow(/not a flake attribute path/);
  });
});
