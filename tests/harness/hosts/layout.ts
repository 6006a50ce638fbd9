import { chmod, chown, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runOk } from './run.js';

/**
 * The files of one host, created in its state directory and bind-mounted over the real
 * paths inside the host's mount namespace (see holder.ts for the mount list).
 */

/**
 * PATH for every ssh session. /run/current-system/sw/bin is there so `nixos-version` is found
 * after a first install, but last: the example homelab's sw/bin holds stand-ins for ls, cat,
 * nix... that only print a version, and the real tools must win.
 */
export const SESSION_PATH = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
  '/run/current-system/sw/bin',
  '/nix/var/nix/profiles/default/bin',
].join(':');

export interface HostLayout {
  readonly dir: string;
  readonly name: string;
  readonly address: string;
  readonly authorizedKey: string;
  readonly deployUser: string;
  readonly deployUid: number;
  /** crypt(3) hash of the deploy user's sudo password, or null for passwordless sudo. */
  readonly sudoPasswordHash: string | null;
  /** The host runs from a toolchain: room for its copy-on-write root (see host.ts). */
  readonly toolchain?: boolean;
}

/** sshd_config of a host; without `address` sshd only listens on the namespace's loopback (the delay relay then owns port 22). */
export function sshdConfig(address: string | null): string {
  return [
    '# Written by tests/harness: a lab test host.',
    'Port 22',
    ...(address ? [`ListenAddress ${address}`] : []),
    'ListenAddress 127.0.0.1',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PidFile /run/sshd.pid',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // PAM's session modules (loginuid, systemd) do not work inside these namespaces.
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    // Deploy benchmarks open many connections to one host at once.
    'MaxStartups 200:30:400',
    'MaxSessions 200',
    `SetEnv PATH=${SESSION_PATH}`,
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

/** Hash a sudo password with SHA-512 crypt; the password goes through stdin, never argv. */
export async function hashPassword(password: string): Promise<string> {
  return (await runOk('openssl', ['passwd', '-6', '-stdin'], { input: `${password}\n` })).trim();
}

/** The first UID >= 1000 that the machine's /etc/passwd does not use. */
export async function freeUid(): Promise<number> {
  const used = new Set(
    (await readFile('/etc/passwd', 'utf8')).split('\n').map((line) => Number(line.split(':')[2])),
  );
  let uid = 1000;
  while (used.has(uid)) uid++;
  return uid;
}

const profileScript = `# Written by tests/harness: login shells reset PATH in /etc/profile; add NixOS's system profile again.\nexport PATH=${SESSION_PATH}\n`;

/** The sudoers rule and /etc/shadow that make the deploy user's sudo passwordless or password-protected. */
export async function sudoFiles(user: string, passwordHash: string | null): Promise<{ readonly sudoers: string; readonly shadow: string }> {
  const rule = passwordHash ? `${user} ALL=(ALL:ALL) ALL` : `${user} ALL=(ALL:ALL) NOPASSWD: ALL`;
  const baseShadow = (await readFile('/etc/shadow', 'utf8'))
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith(`${user}:`));
  return {
    sudoers: `Defaults lecture=never\n${rule}\n`,
    shadow: [...baseShadow, `${user}:${passwordHash ?? '*'}:19000:0:99999:7:::`, ''].join('\n'),
  };
}

/** Create a host's state directory: its empty /nix, /run, /etc files, host key and home directories. */
export async function createHostLayout(layout: HostLayout): Promise<void> {
  const { dir, deployUser: user, deployUid: uid } = layout;
  for (const sub of ['nix/var/nix', 'run/sshd', 'boot', 'etc/ssh', 'etc/nix', 'etc/sudoers.d', 'etc-work', 'root/.ssh', 'home', 'log']) {
    await mkdir(path.join(dir, sub), { recursive: true });
  }
  if (layout.toolchain) {
    for (const sub of ['toolchain/root', 'toolchain/upper', 'toolchain/work']) await mkdir(path.join(dir, sub), { recursive: true });
    await copyFile('/etc/ld.so.cache', path.join(dir, 'toolchain/machine-ld.so.cache'));
  }
  await chmod(path.join(dir, 'root'), 0o700);
  await chmod(path.join(dir, 'root/.ssh'), 0o700);
  await chmod(path.join(dir, 'run/sshd'), 0o755);

  const keyFile = path.join(dir, 'etc/ssh/ssh_host_ed25519_key');
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${layout.name}`, '-f', keyFile]);
  await writeFile(path.join(dir, 'etc/ssh/sshd_config'), sshdConfig(layout.address));
  await copyFile('/etc/ssh/ssh_config', path.join(dir, 'etc/ssh/ssh_config'));

  await writeFile(
    path.join(dir, 'etc/nix/nix.conf'),
    [
      '# Written by tests/harness: a lab host store, no sandbox and no build users (like Debian nix-bin).',
      'sandbox = false',
      'build-users-group =',
      `trusted-users = root ${user}`,
      'experimental-features = nix-command flakes',
      '',
    ].join('\n'),
  );

  const passwd = (await readFile('/etc/passwd', 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith(`${user}:`));
  await writeFile(path.join(dir, 'etc/passwd'), [...passwd, `${user}:x:${uid}:${uid}:lab deploy user:/home/${user}:/bin/bash`, ''].join('\n'));
  const group = (await readFile('/etc/group', 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith(`${user}:`));
  await writeFile(path.join(dir, 'etc/group'), [...group, `${user}:x:${uid}:`, ''].join('\n'));
  const gshadow = (await readFile('/etc/gshadow', 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith(`${user}:`));
  await writeFile(path.join(dir, 'etc/gshadow'), [...gshadow, `${user}:!::`, ''].join('\n'), { mode: 0o640 });
  await writeFile(path.join(dir, 'etc/hostname'), `${layout.name}\n`);
  await writeFile(path.join(dir, 'etc/hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${layout.name}\n${layout.address}\t${layout.name}\n`);
  const sudo = await sudoFiles(user, layout.sudoPasswordHash);
  await writeFile(path.join(dir, 'etc/sudoers.d/fleet-lab'), sudo.sudoers, { mode: 0o440 });
  await writeFile(path.join(dir, 'etc/shadow'), sudo.shadow, { mode: 0o640 });

  await writeFile(path.join(dir, 'root/.ssh/authorized_keys'), layout.authorizedKey, { mode: 0o600 });
  await writeFile(path.join(dir, 'root/.profile'), profileScript);
  const home = path.join(dir, 'home', user);
  await mkdir(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  await writeFile(path.join(home, '.ssh/authorized_keys'), layout.authorizedKey, { mode: 0o600 });
  await writeFile(path.join(home, '.profile'), profileScript);
  for (const p of [home, path.join(home, '.ssh'), path.join(home, '.ssh/authorized_keys'), path.join(home, '.profile')]) {
    await chown(p, uid, uid);
  }
  await chmod(path.join(home, '.ssh'), 0o700);
}
