import { describe, expect, it } from 'vitest';
import { parseBuildHost } from '../../../src-main/core/homelab/names';
import { parseNixConfig } from '../../../src-main/core/deploy/cache-trust';
import { parseCacheUrl } from '../../../src-main/core/nix/cache';

describe('binary cache URLs, build host names and nix configuration', () => {
  it('reads file://, ssh:// and s3:// caches and refuses what nix or ssh would misread', () => {
    expect(parseCacheUrl('file:///srv/cache')).toEqual({ kind: 'file', url: 'file:///srv/cache', dir: '/srv/cache' });
    expect(parseCacheUrl('ssh://nix@cache.lan')).toEqual({ kind: 'ssh', url: 'ssh://nix@cache.lan', host: 'cache.lan', user: 'nix' });
    expect(parseCacheUrl('s3://homelab-cache?region=eu-west-1')).toMatchObject({ kind: 's3', bucket: 'homelab-cache' });
    expect(() => parseCacheUrl('file://relative/dir')).toThrow(/absolute path/);
    expect(() => parseCacheUrl('ssh://-oProxyCommand=x')).toThrow(/not ssh:\/\/host/);
    expect(() => parseCacheUrl('ssh://cache:2222')).toThrow(/name the port in ~\/.ssh\/config/);
    expect(() => parseCacheUrl('https://cache.nixos.org')).toThrow(/not a file:\/\/, ssh:\/\/ or s3:\/\/ URL/);
    expect(() => parseCacheUrl('file:///a b')).toThrow(/whitespace/);
  });

  it('splits a build host into user and host as ssh does', () => {
    expect(parseBuildHost('builder')).toEqual({ host: 'builder' });
    expect(parseBuildHost('nix@big-box.lan')).toEqual({ user: 'nix', host: 'big-box.lan' });
  });

  it('reads trusted keys and substituters from nix config output, extra-* settings added to their base', () => {
    const config = parseNixConfig(
      [
        'substituters = https://cache.nixos.org/ # the default',
        'extra-substituters = ssh://cache',
        'trusted-public-keys = cache.nixos.org-1:6NCH= fleet-test-cache-1:abc=',
        '# a comment = not a setting',
        'require-sigs = true',
      ].join('\n'),
    );
    expect(config.get('substituters')).toBe('https://cache.nixos.org/ ssh://cache');
    expect(config.get('trusted-public-keys')).toBe('cache.nixos.org-1:6NCH= fleet-test-cache-1:abc=');
    expect(config.has('# a comment')).toBe(false);
  });
});
