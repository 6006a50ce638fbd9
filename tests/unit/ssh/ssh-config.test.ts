import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeHostConfig, expandIncludes, parseJumpHop, resolveSshHost } from '../../../src-main/core/ssh/ssh-config';

const dirs: string[] = [];
function home(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sshcfg-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('~/.ssh/config', () => {
  it('applies Host patterns, first value wins, and expands ~ in IdentityFile', () => {
    const cfg = computeHostConfig(
      ['Host moon*', '  HostName 10.0.0.5', '  User admin', '  Port 2222', '  IdentityFile ~/.ssh/moon', 'Host *', '  User nobody', '  IdentityFile ~/.ssh/id_ed25519', '  ConnectTimeout 7'].join('\n'),
      'moonlight',
      '/home/me',
    );
    expect(cfg).toMatchObject({ hostName: '10.0.0.5', user: 'admin', port: 2222, connectTimeout: 7 });
    expect(cfg.identityFiles).toEqual(['/home/me/.ssh/moon', '/home/me/.ssh/id_ed25519']);
  });

  it('allows password logins unless both PasswordAuthentication and KbdInteractiveAuthentication say no', () => {
    const text = [
      'Host keys-only',
      '  PasswordAuthentication no',
      '  KbdInteractiveAuthentication no',
      'Host pam-only',
      '  PasswordAuthentication no',
      'Host old-name',
      '  PasswordAuthentication no',
      '  ChallengeResponseAuthentication no',
      '',
    ].join('\n');
    expect(computeHostConfig(text, 'keys-only', '/home/u').passwordAuthentication).toBe(false);
    expect(computeHostConfig(text, 'pam-only', '/home/u').passwordAuthentication).toBe(true);
    expect(computeHostConfig(text, 'old-name', '/home/u').passwordAuthentication).toBe(false);
    expect(computeHostConfig(text, 'anything-else', '/home/u').passwordAuthentication).toBe(true);
  });

  it('falls back to the alias and port 22 for an unknown host', () => {
    const cfg = computeHostConfig('Host other\n  HostName 1.2.3.4\n', 'moonlight', '/h');
    expect(cfg).toMatchObject({ hostName: 'moonlight', port: 22, proxyJump: [] });
    expect(cfg.user).toBeUndefined();
  });

  it('follows Include of absolute paths, relative paths (under ~/.ssh) and globs', () => {
    const h = home({
      'lab/ssh_config': 'Host zephyrus\n  HostName 10.233.0.2\n  User root\n  UserKnownHostsFile /lab/known_hosts\n',
      '.ssh/conf.d/a.conf': 'Host alpha\n  HostName 10.1.1.1\n',
      '.ssh/conf.d/b.conf': 'Host beta\n  HostName 10.1.1.2\n',
    });
    fs.writeFileSync(path.join(h, '.ssh/config'), `Include ${path.join(h, 'lab/ssh_config')}\nInclude conf.d/*.conf\nHost *\n  User fallback\n`);
    expect(resolveSshHost('zephyrus', { home: h })).toMatchObject({ hostName: '10.233.0.2', user: 'root', userKnownHostsFiles: ['/lab/known_hosts'] });
    expect(resolveSshHost('beta', { home: h })).toMatchObject({ hostName: '10.1.1.2', user: 'fallback' });
  });

  it('keeps the lines after an Include inside a Host block in that block', () => {
    const h = home({ '.ssh/extra': 'Host other\n  User x\n' });
    const text = expandIncludes('Host moon\n  Include extra\n  HostName 10.9.9.9\n', h);
    expect(computeHostConfig(text, 'moon', h).hostName).toBe('10.9.9.9');
    expect(computeHostConfig(text, 'other', h).hostName).toBe('other');
  });

  it('reads ProxyJump hops and never runs Match exec', () => {
    const cfg = computeHostConfig('Match exec "touch /tmp/fleet-pwned"\n  User evil\nHost inner\n  ProxyJump admin@bastion:2200,jump2\n', 'inner', '/h');
    expect(cfg.proxyJump).toEqual(['admin@bastion:2200', 'jump2']);
    expect(cfg.user).toBeUndefined();
    expect(fs.existsSync('/tmp/fleet-pwned')).toBe(false);
    expect(parseJumpHop('admin@bastion:2200')).toEqual({ user: 'admin', host: 'bastion', port: 2200 });
    expect(parseJumpHop('[fe80::1]:22')).toEqual({ host: 'fe80::1', port: 22 });
    expect(parseJumpHop('jump2')).toEqual({ host: 'jump2' });
  });
});
