import { describe, expect, it } from 'vitest';
import { scanInventory } from '../../../src-main/core/homelab/scan';
import { flakeNix, makeTree, nixConfig } from './tree';

function systemWith(meta: string) {
  const root = makeTree({ 'flake.nix': flakeNix, 'systems/host/default.nix': nixConfig, 'systems/host/meta.json': meta });
  const system = scanInventory(root).systems[0];
  if (!system) throw new Error('system not found');
  return system;
}

describe('meta.json', () => {
  it('reads system, defaulting to x86_64-linux', () => {
    expect(systemWith('{"system": "aarch64-linux"}').system).toBe('aarch64-linux');
    expect(systemWith('{}').system).toBe('x86_64-linux');
  });

  it('warns on meta.json that is not JSON and uses the defaults', () => {
    const s = systemWith('{"system": "aarch64-linux",,}');
    expect(s.system).toBe('x86_64-linux');
    expect(s.warnings).toContainEqual(expect.objectContaining({ severity: 'error', path: 'systems/host/meta.json', message: expect.stringContaining('not valid JSON') }));
  });

  it('warns on a non-string system', () => {
    const s = systemWith('{"system": 64}');
    expect(s.system).toBe('x86_64-linux');
    expect(s.warnings[0]?.message).toContain('"system" must be a string');
  });

  it('warns on meta.json holding something other than an object', () => {
    expect(systemWith('["x86_64-linux"]').warnings[0]?.message).toContain('must hold a JSON object');
  });

  it('defaults the deploy target to the system name as an SSH host', () => {
    expect(systemWith('{}').deploy).toEqual({ host: 'host', tags: [], buildOnTarget: false, sudo: false, checks: [] });
  });

  it('reads the deploy object: host, user, port, tags, buildOnTarget, sudo', () => {
    const s = systemWith(JSON.stringify({ deploy: { host: 'moon.tail1234.ts.net', user: 'deploy', port: 2222, tags: ['server', 'lab'], buildOnTarget: true, sudo: false } }));
    expect(s.deploy).toEqual({ host: 'moon.tail1234.ts.net', user: 'deploy', port: 2222, tags: ['server', 'lab'], buildOnTarget: true, sudo: false, checks: [] });
    expect(s.warnings).toEqual([]);
  });

  it('reads deploy.buildHost as a host or user@host, and ignores one ssh would read as an option', () => {
    expect(systemWith('{"deploy": {"buildHost": "builder@big-box.lan"}}').deploy.buildHost).toBe('builder@big-box.lan');
    const bad = systemWith('{"deploy": {"buildHost": "-oProxyCommand=x"}}');
    expect(bad.deploy.buildHost).toBeUndefined();
    expect(bad.deploy.refused).toBeUndefined();
    expect(bad.warnings[0]?.message).toMatch(/"deploy.buildHost".*starts with "-".*ignored/);
  });

  it('uses sudo by default for a non-root deploy user', () => {
    expect(systemWith('{"deploy": {"user": "deploy"}}').deploy.sudo).toBe(true);
    expect(systemWith('{"deploy": {"user": "root"}}').deploy.sudo).toBe(false);
  });

  it('warns on wrongly typed deploy fields and ignores them', () => {
    const s = systemWith('{"deploy": {"port": "22", "tags": "server", "sudo": "yes", "host": 5}}');
    expect(s.deploy).toEqual({ host: 'host', tags: [], buildOnTarget: false, sudo: false, checks: [] });
    const messages = s.warnings.map((w) => w.message).join('\n');
    expect(messages).toContain('"deploy.port" must be a whole number');
    expect(messages).toContain('"deploy.tags" must be a list of strings');
    expect(messages).toContain('"deploy.sudo" must be true or false');
    expect(messages).toContain('"deploy.host" must be a non-empty string');
  });

  it('refuses a deploy host that ssh would read as an option, or a bad user', () => {
    expect(systemWith('{"deploy": {"host": "-oProxyCommand=x"}}').deploy.refused).toMatch(/starts with "-"/);
    expect(systemWith('{"deploy": {"host": "a b"}}').deploy.refused).toMatch(/not valid in a host name/);
    expect(systemWith('{"deploy": {"user": "x;y"}}').deploy.refused).toMatch(/not a valid login name/);
    expect(systemWith('{"deploy": {"host": "[fd00::1]"}}').deploy.refused).toBeUndefined();
  });

  it('keeps a deploy that is not an object as a warning', () => {
    expect(systemWith('{"deploy": "moonlight"}').warnings[0]?.message).toContain('"deploy" must be an object');
  });
});
