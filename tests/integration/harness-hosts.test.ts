import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FLAKE_DIR, fingerprintOf, harnessNetns, reapStaleLabs, startHosts, type Lab, type LabHost } from '../harness/hosts/index.js';
import { withLock } from '../harness/hosts/registry.js';
import { run, type RunResult } from '../harness/hosts/run.js';

// The NixOS test hosts of the test fleet, seen from the client side with the real OpenSSH
// client and nix-copy-closure, as the app will see them.

const NIX = ['--extra-experimental-features', 'nix-command flakes'];

function ssh(host: LabHost, command: readonly string[], options: { user?: string; input?: string; extra?: readonly string[] } = {}): Promise<RunResult> {
  const target = options.user ? `${options.user}@${host.name}` : host.name;
  const args = ['-F', host.sshConfigPath, '-o', 'BatchMode=yes', ...(options.extra ?? []), target, ...command];
  return run('ssh', args, { input: options.input, timeoutMs: 30_000 });
}

function copyClosure(lab: Lab, host: LabHost, storePath: string): Promise<RunResult> {
  return run('nix-copy-closure', ['--to', host.name, storePath], {
    env: { ...process.env, NIX_SSHOPTS: `-F ${lab.sshConfigPath} -o BatchMode=yes` },
    timeoutMs: 60_000,
  });
}

async function buildSystem(name: string): Promise<string> {
  const installable = `${FLAKE_DIR}#nixosConfigurations.${name}.config.system.build.toplevel`;
  // Two of these run at once on the same flake: without the evaluation cache, so neither
  // finds the other's cache database busy (Nix 2.8 then reports the attribute missing).
  const result = await run('nix', [...NIX, '--option', 'eval-cache', 'false', 'build', '--no-link', '--json', installable], { timeoutMs: 120_000 });
  expect(result.code, result.stderr).toBe(0);
  const out = (JSON.parse(result.stdout) as { outputs: { out: string } }[])[0]?.outputs.out;
  expect(out).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nixos-system-/);
  return out ?? '';
}

async function seconds(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return (performance.now() - started) / 1000;
}

describe('NixOS test hosts', () => {
  let lab: Lab;
  let zephyrus: LabHost;
  let laptop: LabHost;
  let zephyrusSystem: string;
  let laptopSystem: string;

  beforeAll(async () => {
    [lab, zephyrusSystem, laptopSystem] = await Promise.all([startHosts({ count: 2 }), buildSystem('zephyrus'), buildSystem('lg-laptop')]);
    zephyrus = lab.host('zephyrus');
    laptop = lab.host('lg-laptop');
  });

  afterAll(async () => {
    await lab?.stop();
  });

  test('two hosts answer over ssh with the test key, as root and as the deploy user with sudo', async () => {
    for (const host of [zephyrus, laptop]) {
      const hostname = await ssh(host, ['hostname']);
      expect(hostname.stderr).toBe('');
      expect(hostname.stdout.trim()).toBe(host.name);
      const sudo = await ssh(host, ['sudo', '-n', 'id', '-u'], { user: lab.deployUser });
      expect(sudo.stdout.trim()).toBe('0');
    }
    const sshConfig = await readFile(lab.sshConfigPath, 'utf8');
    expect(sshConfig).toContain(`Host zephyrus\n  HostName ${zephyrus.address}\n  User root`);
    expect(sshConfig).toContain(`IdentityFile ${lab.identityFile}`);
    expect(await readFile(lab.knownHostsPath, 'utf8')).toContain(zephyrus.knownHostsLine);
  });

  test('a flake/ system is copied with nix-copy-closure, activated, and looks like NixOS over ssh', async () => {
    expect((await copyClosure(lab, zephyrus, zephyrusSystem)).code).toBe(0);
    const activate = await ssh(zephyrus, [
      'nix-env', '-p', '/nix/var/nix/profiles/system', '--set', zephyrusSystem,
      '&&', `${zephyrusSystem}/bin/switch-to-configuration`, 'switch',
    ]);
    expect(activate.code, activate.stderr).toBe(0);
    expect((await ssh(zephyrus, ['readlink', '-f', '/run/current-system'])).stdout.trim()).toBe(zephyrusSystem);
    expect((await ssh(zephyrus, ['readlink', '-f', '/nix/var/nix/profiles/system'])).stdout.trim()).toBe(zephyrusSystem);
    const version = JSON.parse((await ssh(zephyrus, ['nixos-version', '--json'])).stdout) as { nixosVersion: string };
    expect(version.nixosVersion).toMatch(/^\d\d\.\d\d/);
    expect(await zephyrus.currentSystem()).toBe(zephyrusSystem);
    // Each host has its own store and /etc: nothing reached the other host or this machine.
    expect(await laptop.currentSystem()).toBeNull();
    expect((await laptop.exec(['test', '-e', zephyrusSystem])).code).not.toBe(0);
    expect(existsSync('/etc/static')).toBe(false);
    expect(existsSync(zephyrusSystem)).toBe(true);
  });

  test('a cut host cannot be reached until its network is restored', async () => {
    await laptop.cutNetwork();
    const dropped = await ssh(laptop, ['true'], { extra: ['-o', 'ConnectTimeout=2'] });
    expect(dropped.code).toBe(255);
    expect(dropped.stderr).toMatch(/timed out/);
    await laptop.restoreNetwork();
    expect((await ssh(laptop, ['true'])).code).toBe(0);

    await laptop.cutNetwork('unreachable');
    const refused = await ssh(laptop, ['true']);
    expect(refused.stderr).toMatch(/No route to host|Network is unreachable/);
    await laptop.restoreNetwork();
    expect((await ssh(laptop, ['true'])).code).toBe(0);
  });

  test('a killed sshd refuses connections until it is started again', async () => {
    await laptop.killSshd();
    const refused = await ssh(laptop, ['true']);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/Connection refused/);
    await laptop.startSshd();
    await laptop.restartSshd();
    expect((await ssh(laptop, ['true'])).code).toBe(0);
  });

  test('a changed host key shows a different fingerprint and fails strict checking', async () => {
    const before = laptop.hostKeyFingerprint;
    await laptop.changeHostKey();
    expect(laptop.hostKeyFingerprint).not.toBe(before);
    const scan = await run('ssh-keyscan', ['-t', 'ed25519', laptop.address]);
    const scanned = scan.stdout.split('\n').find((line) => line.includes('ssh-ed25519')) ?? '';
    expect(fingerprintOf(scanned.split(' ').slice(1).join(' '))).toBe(laptop.hostKeyFingerprint);
    const strict = await ssh(laptop, ['true']);
    expect(strict.code).toBe(255);
    expect(strict.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    await lab.writeClientFiles();
    expect((await ssh(laptop, ['true'])).code).toBe(0);
  });

  test('a full store disk makes nix-copy-closure fail, and it works once space is back', async () => {
    await laptop.fillStore();
    const full = await copyClosure(lab, laptop, laptopSystem);
    expect(full.code).not.toBe(0);
    // The kernel's ENOSPC, or SQLite's when the store database's write hits the full disk first.
    expect(full.stderr).toMatch(/No space left on device|database or disk is full/);
    await laptop.freeStore();
    const copied = await copyClosure(lab, laptop, laptopSystem);
    expect(copied.code, copied.stderr).toBe(0);
  });

  test('a slowed link is measurably slower, and fast again when restored', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fleet-lab-blob-'));
    const blob = path.join(dir, 'blob');
    await writeFile(blob, randomBytes(2 * 1024 * 1024));
    const scp = async (): Promise<void> => {
      const result = await run('scp', ['-q', '-F', lab.sshConfigPath, '-o', 'BatchMode=yes', blob, `${laptop.name}:/tmp/blob`]);
      expect(result.code, result.stderr).toBe(0);
    };
    const connect = async (): Promise<void> => {
      expect((await ssh(laptop, ['true'])).code).toBe(0);
    };
    try {
      const fastCopy = await seconds(scp);
      const fastConnect = Math.min(await seconds(connect), await seconds(connect));
      await laptop.slowLink({ rate: '20mbit', delayMs: 100 });
      // Lower bounds the link itself sets, whatever the machine's load: 2 MiB at 20 Mbit/s takes
      // 0.84 s, and an ssh login needs at least four round trips of 100 ms.
      const slowCopy = await seconds(scp);
      const slowConnect = await seconds(connect);
      expect(slowCopy).toBeGreaterThan(0.8);
      expect(slowConnect).toBeGreaterThan(0.4);
      expect(slowCopy).toBeGreaterThan(fastCopy);
      expect(slowConnect).toBeGreaterThan(fastConnect);
      await laptop.restoreLinkSpeed();
      expect((await run('tc', ['qdisc', 'show', 'dev', laptop.rootVeth])).stdout).not.toContain('tbf');
      expect(await seconds(scp)).toBeLessThan(slowCopy);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('after break-next-activation the next activation cuts ssh, and the rollback brings it back', async () => {
    expect((await copyClosure(lab, zephyrus, laptopSystem)).code).toBe(0);
    await zephyrus.breakNextActivation();
    expect(await zephyrus.activationBreakState()).toBe('armed');
    expect((await ssh(zephyrus, ['true'])).code).toBe(0);

    const profile = '/nix/var/nix/profiles/system';
    const activate = `nix-env -p ${profile} --set ${laptopSystem} && ${laptopSystem}/bin/switch-to-configuration switch`;
    expect((await zephyrus.exec(['sh', '-c', activate])).code).toBe(0);
    await expect.poll(() => zephyrus.activationBreakState(), { timeout: 5000 }).toBe('broken');
    expect((await ssh(zephyrus, ['true'], { extra: ['-o', 'ConnectTimeout=2'] })).code).toBe(255);

    // The host's own rollback, as magic rollback does when the deployer cannot confirm.
    const rollback = `nix-env -p ${profile} --rollback && ${profile}/bin/switch-to-configuration switch`;
    expect((await zephyrus.exec(['sh', '-c', rollback])).code).toBe(0);
    await expect.poll(() => zephyrus.activationBreakState(), { timeout: 5000 }).toBe('none');
    await expect.poll(async () => (await ssh(zephyrus, ['true'])).code, { timeout: 5000 }).toBe(0);
    expect((await ssh(zephyrus, ['readlink', '-f', '/run/current-system'])).stdout.trim()).toBe(zephyrusSystem);
  });

  test('sudo can be made to ask for a password', async () => {
    await zephyrus.setSudoPassword('lab-sudo-secret');
    const withoutPassword = await ssh(zephyrus, ['sudo', '-n', 'true'], { user: lab.deployUser });
    expect(withoutPassword.code).not.toBe(0);
    expect(withoutPassword.stderr).toMatch(/password is required/);
    const wrong = await ssh(zephyrus, ['sudo', '-S', '-p', "''", 'true'], { user: lab.deployUser, input: 'wrong\n' });
    expect(wrong.code).not.toBe(0);
    const right = await ssh(zephyrus, ['sudo', '-S', '-p', "''", 'id', '-u'], { user: lab.deployUser, input: 'lab-sudo-secret\n' });
    expect(right.stdout.trim()).toBe('0');
    await zephyrus.setSudoPassword(null);
    expect((await ssh(zephyrus, ['sudo', '-n', 'true'], { user: lab.deployUser })).code).toBe(0);
  });
});

describe('a lab of 20 hosts', () => {
  test('starts, answers ssh, and leaves nothing behind when stopped', async () => {
    const started = performance.now();
    const lab = await startHosts({ count: 20 });
    const seconds = (performance.now() - started) / 1000;
    expect(lab.hosts).toHaveLength(20);
    process.stdout.write(`20 lab hosts started in ${seconds.toFixed(1)} s\n`);
    const last = lab.hosts[19];
    expect(last?.name).toBe('host-20');
    const answers = await Promise.all(lab.hosts.map((host) => ssh(host, ['hostname'])));
    expect(answers.map((a) => a.stdout.trim())).toEqual(lab.hosts.map((h) => h.name));

    const pids = lab.hosts.map((host) => host.holderPid);
    for (const host of lab.hosts) pids.push(Number(await readFile(path.join(host.dir, 'run/sshd.pid'), 'utf8')));
    await lab.stop();

    expect((await harnessNetns()).filter((netns) => netns.startsWith(`fleet-lab-${lab.slot}-`))).toEqual([]);
    expect(pids.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    const links = await run('ip', ['-o', 'link', 'show']);
    expect(links.stdout).not.toMatch(new RegExp(`fl${lab.slot}v\\d+[@:]`));
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(lab.stateDir);
    expect(existsSync(lab.stateDir)).toBe(false);
  });

  test('a lab whose test process crashed is removed by the next start', async () => {
    const script = path.join(await mkdtemp(path.join(tmpdir(), 'fleet-lab-crash-')), 'crash.mts');
    const index = path.resolve(import.meta.dirname, '../harness/hosts/index.ts');
    await writeFile(
      script,
      [
        `import { startHosts } from ${JSON.stringify(index)};`,
        'const lab = await startHosts({ count: 2 });',
        'console.log(JSON.stringify({ stateDir: lab.stateDir, pids: lab.hosts.map((h) => h.holderPid) }));',
        "process.kill(process.pid, 'SIGKILL');",
        '',
      ].join('\n'),
    );
    const crashed = await run(path.resolve(import.meta.dirname, '../../node_modules/.bin/tsx'), [script], { timeoutMs: 60_000 });
    const { stateDir, pids } = JSON.parse(crashed.stdout) as { stateDir: string; pids: number[] };
    expect(pids.filter((pid) => existsSync(`/proc/${pid}`))).toHaveLength(2);

    const next = await startHosts({ count: 1 });
    try {
      expect(pids.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
      expect(existsSync(stateDir)).toBe(false);
    } finally {
      await next.stop();
      await rm(path.dirname(script), { recursive: true, force: true });
    }
  });

  test('a reap waits while a lab claims its slot (another file starting a lab is never taken for a dead one)', async () => {
    // reapStaleLabs reads which labs live once, then looks for leftovers: a lab claimed in
    // between had its hosts killed. Claims are made under the leak-guard lock; so is a reap.
    let reaped = false;
    let reaping: Promise<readonly number[]> | undefined;
    await withLock('leak-guard', async () => {
      reaping = reapStaleLabs().then((slots) => {
        reaped = true;
        return slots;
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(reaped).toBe(false);
    });
    await reaping;
    expect(reaped).toBe(true);
  });
});
