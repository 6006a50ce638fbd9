import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassphraseCache } from '../../src-main/core/ssh/auth';
import { SshConnection } from '../../src-main/core/ssh/connection';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

// How the app logs in, as a user's setup would have it: ssh-agent, a key with a passphrase,
// and a host that is not in any known_hosts yet.
describe('ssh authentication and host keys', () => {
  let world: DeployWorld;
  let agent: ChildProcess | undefined;
  let agentSocket: string;
  let address: string;

  /** Replace ~/.ssh/config with one Host block for zephyrus (no lab Include). */
  function sshConfig(lines: readonly string[]): void {
    fs.writeFileSync(path.join(world.home, '.ssh', 'config'), ['Host zephyrus', `  HostName ${address}`, '  User root', ...lines.map((l) => `  ${l}`), ''].join('\n'));
  }

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus'] });
    address = world.lab.host('zephyrus').address;
    agentSocket = path.join(world.home, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !fs.existsSync(agentSocket); i++) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    agent?.kill();
    await world?.stop();
  });

  it('asks about an unknown host key with its SHA256 fingerprint; declined means refused', async () => {
    sshConfig([`IdentityFile ${world.lab.identityFile}`]);
    const core = world.core({ hostKey: false });
    const { job, record, events } = await world.deploy({ targets: ['zephyrus'] }, { core });
    expect(job.status).toBe('failed');
    expect(outcomeOf(record, 'zephyrus').message).toMatch(/not known and was not accepted/);
    const asked = events.flatMap((e) => (e.type === 'prompt.request' ? [e.request] : []));
    expect(asked).toHaveLength(1);
    expect(asked[0]!.fingerprint).toBe(world.lab.host('zephyrus').hostKeyFingerprint);
  });

  it('an accepted key is remembered in the app\'s own known_hosts: the next deploy asks nothing', async () => {
    const first = await world.deploy({ targets: ['zephyrus'] }, { answers: { hostKey: true } });
    expect(first.job.status, JSON.stringify(first.job.error)).toBe('succeeded');
    expect(first.events.filter((e) => e.type === 'prompt.request')).toHaveLength(1);
    expect(fs.readFileSync(path.join(world.dataDir, 'known_hosts'), 'utf8')).toContain('zephyrus');
    const second = await world.deploy({ targets: ['zephyrus'] }, { answers: { hostKey: false } });
    expect(second.job.status).toBe('succeeded');
    expect(second.events.filter((e) => e.type === 'prompt.request')).toHaveLength(0);
  });

  it('logs in with ssh-agent (SSH_AUTH_SOCK) when the config names no key', async () => {
    execFileSync('ssh-add', [world.lab.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, stdio: 'ignore' });
    sshConfig([]);
    const previous = world.env.SSH_AUTH_SOCK;
    world.env.SSH_AUTH_SOCK = agentSocket;
    try {
      const { job } = await world.deploy({ targets: ['zephyrus'] });
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    } finally {
      if (previous === undefined) delete world.env.SSH_AUTH_SOCK;
      else world.env.SSH_AUTH_SOCK = previous;
    }
  });

  it('asks once for a key passphrase, keeps it in memory for the next deploy, and never writes it', async () => {
    const key = path.join(world.home, '.ssh', 'id_locked');
    const passphrase = 'open sesame 7';
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'locked', '-f', key]);
    const pub = fs.readFileSync(`${key}.pub`, 'utf8');
    await world.lab.host('zephyrus').exec(['sh', '-c', 'cat >> /root/.ssh/authorized_keys'], { input: pub });
    sshConfig([`IdentityFile ${key}`, 'IdentitiesOnly yes']);
    const core = world.core({ secret: passphrase });
    const first = await world.deploy({ targets: ['zephyrus'] }, { core });
    expect(first.job.status, JSON.stringify(first.job.error)).toBe('succeeded');
    const asked = first.events.flatMap((e) => (e.type === 'prompt.request' ? [e.request] : []));
    expect(asked.map((r) => r.kind)).toEqual(['secret']);
    expect(asked[0]!.secretLabel).toBe('passphrase for id_locked');
    const second = await world.deploy({ targets: ['zephyrus'] }, { core });
    expect(second.job.status).toBe('succeeded');
    expect(second.events.filter((e) => e.type === 'prompt.request')).toHaveLength(0);
    for (const file of [first.job.logFile, path.join(world.dataDir, 'deploys.jsonl'), path.join(world.dataDir, 'jobs.jsonl')]) {
      expect(fs.readFileSync(file, 'utf8')).not.toContain(passphrase);
    }
  });

  it('asks a key passphrase once for the whole core: a host deploy, then a closure diff of that host, ask nothing more', async () => {
    const key = path.join(world.home, '.ssh', 'id_locked_once');
    const passphrase = 'one cache 9';
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'locked-once', '-f', key]);
    await world.lab.host('zephyrus').exec(['sh', '-c', 'cat >> /root/.ssh/authorized_keys'], { input: fs.readFileSync(`${key}.pub`, 'utf8') });
    sshConfig([`IdentityFile ${key}`, 'IdentitiesOnly yes']);
    const core = world.core({ secret: passphrase });
    const deployed = await world.deploy({ targets: ['zephyrus'] }, { core });
    expect(deployed.job.status, JSON.stringify(deployed.job.error)).toBe('succeeded');
    const askedByDeploy = deployed.events.flatMap((e) => (e.type === 'prompt.request' ? [e.request] : []));
    expect(askedByDeploy.map((r) => r.secretLabel)).toEqual(['passphrase for id_locked_once']);
    // The closure diff reaches the host through the same session layer: the passphrase is known.
    const diffed = await world.deploy({ machine: 'zephyrus' }, { core, command: 'closure.diff' });
    expect(diffed.job.status, JSON.stringify(diffed.job.error)).toBe('succeeded');
    expect((diffed.job.result as { old: { state: string } }).old.state).toBe('ok');
    expect(diffed.events.filter((e) => e.type === 'prompt.request')).toHaveLength(0);
  });

  it('reaches a host through ProxyJump with two hops (each hop checked against known_hosts)', async () => {
    const kh = world.lab.knownHostsPath;
    fs.writeFileSync(
      path.join(world.home, '.ssh', 'config'),
      [
        'Host zephyrus',
        `  HostName ${address}`,
        '  User root',
        `  IdentityFile ${world.lab.identityFile}`,
        `  UserKnownHostsFile ${kh}`,
        // The host's own loopback, only reachable from inside it: through two hops.
        'Host behind-jump',
        '  HostName 127.0.0.1',
        '  HostKeyAlias zephyrus',
        '  User root',
        `  IdentityFile ${world.lab.identityFile}`,
        `  UserKnownHostsFile ${kh}`,
        '  ProxyJump zephyrus,root@zephyrus:22',
        '',
      ].join('\n'),
    );
    const connection = await SshConnection.open({
      host: 'behind-jump',
      home: world.home,
      appKnownHosts: path.join(world.dataDir, 'jump_known_hosts'),
      passphrases: new PassphraseCache(),
      askUnknownKey: async () => false,
    });
    try {
      const result = await connection.exec(['sh', '-c', 'echo "$SSH_CONNECTION"']);
      // sshd saw the last hop come from the host's own loopback.
      expect(result.stdout).toMatch(/^127\.0\.0\.1 /);
      expect(connection.config.hostName).toBe('127.0.0.1');
    } finally {
      connection.close();
    }
  });
  it('falls back to the login password when no key is accepted: asked with the clock stopped, asked again when wrong, kept in memory only', async () => {
    const host = world.lab.host('zephyrus');
    const password = 'pass word 7';
    await host.setSudoPassword(password); // the deploy user's /etc/shadow entry
    const sshd = '/etc/ssh/sshd_config';
    expect((await host.exec(['sed', '-i', 's/^PasswordAuthentication no$/PasswordAuthentication yes/', sshd])).code).toBe(0);
    await host.restartSshd();
    // No key that works: the config names one that does not exist, and no agent is given.
    sshConfig([`IdentityFile ${path.join(world.home, 'no-such-key')}`]);
    const passphrases = new PassphraseCache();
    const open = (askPassword?: (who: string, retry: boolean) => Promise<string | undefined>, cache = passphrases) =>
      SshConnection.open({
        host: 'zephyrus',
        user: host.deployUser,
        home: world.home,
        appKnownHosts: path.join(world.dataDir, 'known_hosts'),
        passphrases: cache,
        askUnknownKey: async () => true,
        connectTimeoutMs: 1000,
        ...(askPassword ? { askPassword } : {}),
      });
    try {
      const asked: { who: string; retry: boolean }[] = [];
      const answers = ['wrong', password];
      // Each answer takes longer than the 1 s connect timeout: the clock must stop while asking.
      const connection = await open(async (who, retry) => {
        asked.push({ who, retry });
        await new Promise((r) => setTimeout(r, 1500));
        return answers.shift();
      });
      expect(asked).toEqual([
        { who: `${host.deployUser}@zephyrus`, retry: false },
        { who: `${host.deployUser}@zephyrus`, retry: true },
      ]);
      expect((await connection.exec(['id', '-un'])).stdout.trim()).toBe(host.deployUser);
      connection.close();
      // The next connection in this run uses the password typed before, without asking.
      const again = await open(async () => {
        throw new Error('asked again');
      });
      again.close();
      // Nothing was written anywhere (grep exits 1 when it finds nothing).
      for (const dir of [world.dataDir, world.home]) {
        const found = spawnSync('grep', ['-rlF', password, dir], { encoding: 'utf8' });
        expect(found.status, found.stdout).toBe(1);
      }
      // With nobody to ask (status checks) and nothing typed in this run: refused, nothing hangs.
      await expect(open(undefined, new PassphraseCache())).rejects.toThrow(/refused every key/);
    } finally {
      await host.exec(['sed', '-i', 's/^PasswordAuthentication yes$/PasswordAuthentication no/', sshd]);
      await host.restartSshd();
      await host.setSudoPassword(null);
    }
  });
});
