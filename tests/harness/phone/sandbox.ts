/**
 * The emulated phone's filesystem and namespaces.
 *
 * Each phone gets a directory under /tmp/fleet-lab/phones/ holding `root/`, an Android-like tree
 * (/system/bin, /data/local/tmp, /data/data/com.termux.nix/files/{usr,home}, /sdcard, /nix) used
 * as the root of a persistent mount namespace (file `mntns`) in which the host's /usr is bind-mounted
 * read-only into root/usr and the app's nix store on root/nix, and a network namespace of its own
 * (`fleet-phone-<port>`) where sshd listens on 8022; the phone's `tcp:` service is the only way in.
 *
 * Two users run commands, as on a real phone: `shell` (uid 2000, what `adb shell` gets; it cannot
 * read the app's private files) and `app` (the Nix-on-Droid app's user, named nix-on-droid; it runs
 * as uid 0 here so nix and sshd work without setuid tricks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile, symlink, chmod, chown, copyFile, readlink, readdir, lstat, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './process.js';

export const PHONES_DIR = '/tmp/fleet-lab/phones';
export const APP_ID = 'com.termux.nix';
export const APP_DATA = `/data/data/${APP_ID}`;
export const APP_FILES = `${APP_DATA}/files`;
export const APP_HOME = `${APP_FILES}/home`;
export const APP_PREFIX = `${APP_FILES}/usr`;
export const SHELL_UID = 2000;
/** u0_a123: the uid Android gave the app; owns its private directory so `shell` cannot enter. */
export const APP_UID = 10123;
const SHELL_GROUPS = '2000,1004,1007,1011,1015,1028,3001,3002,3003';

export type SandboxUser = 'shell' | 'app';

export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory inside the phone; default / for shell, the app's home for app. */
  readonly cwd?: string;
}

/** Where a phone lives on this machine. */
export interface SandboxPaths {
  readonly dir: string;
  readonly root: string;
  readonly mntns: string;
  readonly netns: string;
}

/** Paths of the phone listening on `port`. */
export function sandboxPaths(port: number): SandboxPaths {
  const dir = join(PHONES_DIR, `phone-${port}`);
  return { dir, root: join(dir, 'root'), mntns: join(dir, 'mntns'), netns: `fleet-phone-${port}` };
}

/** Host path of a path inside the phone (no symlink resolution: only for paths we create). */
export function hostPath(paths: SandboxPaths, phonePath: string): string {
  return join(paths.root, phonePath);
}

// Runs inside the new mount namespace: bind the host's programs read-only, private /proc, then
// make the phone's tree the namespace's root with pivot_root. A chroot would not do: nix
// re-enters its saved mount namespace before running git or builders (setns), which resets the
// root directory to the namespace's root.
const MOUNT_SCRIPT = `set -e
root="$1"
mount --rbind "$root" "$root"
mount --rbind /usr "$root/usr"
mount -o remount,bind,ro "$root/usr"
# A /dev of its own: a few device nodes bound in, private ptys, so nothing in the phone can
# remove this machine's device nodes.
mount -t tmpfs -o mode=755,size=1m phone-dev "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777,size=16m phone-shm "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t proc proc "$root/proc"
mkdir -p "$root/.host"
cd "$root"
pivot_root . .host
umount -l /.host
rmdir /.host
`;

/** Makes PHONES_DIR a private mount so persistent namespace files can live in it. */
async function ensurePrivateMount(): Promise<void> {
  // Retried: a concurrent downPhones() of another process may remove the empty directory.
  for (let attempt = 0; ; attempt += 1) {
    try {
      await mkdir(PHONES_DIR, { recursive: true });
      const { stdout } = await run('findmnt', ['-n', '-o', 'TARGET', '--mountpoint', PHONES_DIR], { allowFail: true });
      if (stdout.trim() !== PHONES_DIR) await run('mount', ['--bind', PHONES_DIR, PHONES_DIR]);
      await run('mount', ['--make-private', PHONES_DIR]);
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function writeEtc(root: string, userName: string): Promise<void> {
  const etc = join(root, 'etc');
  await mkdir(join(etc, 'ssh'), { recursive: true });
  await mkdir(join(etc, 'nix'), { recursive: true });
  await writeFile(join(etc, 'passwd'), [
    // uid 0 is "root" to ls, as on Android; the app's login name (ssh user) is nix-on-droid.
    'root:x:0:0:root:/:/system/bin/sh',
    `nix-on-droid:x:0:0:Nix-on-Droid:${APP_HOME}:/bin/bash`,
    ...(userName !== 'nix-on-droid' ? [`${userName}:x:0:0:Nix-on-Droid:${APP_HOME}:/bin/bash`] : []),
    'shell:x:2000:2000::/:/system/bin/sh',
    'sshd:x:74:65534:privilege separation:/run/sshd:/usr/sbin/nologin',
    'nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin', '',
  ].join('\n'));
  await writeFile(join(etc, 'group'), 'root:x:0:\nshell:x:2000:\nsdcard_rw:x:1015:\nnogroup:x:65534:\n');
  const shadow = ['root', 'nix-on-droid', userName, 'shell', 'sshd'].map((name) => `${name}:*:19000:0:99999:7:::\n`);
  await writeFile(join(etc, 'shadow'), [...new Set(shadow)].join(''), { mode: 0o600 });
  await writeFile(join(etc, 'nsswitch.conf'), 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n');
  await writeFile(join(etc, 'hosts'), '127.0.0.1 localhost\n::1 localhost ip6-localhost\n');
  // No substituters: the phone's network namespace has no way out, and we send nothing out anyway.
  await writeFile(join(etc, 'nix', 'nix.conf'),
    'sandbox = false\nbuild-users-group =\nsubstituters =\nextra-platforms = aarch64-linux\n');
  await writeFile(join(etc, 'ssh', 'sshd_config'), [
    '# sshd of the phone EMULATION, as a Nix-on-Droid user would configure it',
    'Port 8022',
    `HostKey ${APP_PREFIX}/etc/ssh/ssh_host_ed25519_key`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'AuthorizedKeysFile .ssh/authorized_keys',
    `PidFile ${APP_PREFIX}/tmp/sshd.pid`,
    'PrintMotd no',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    `SetEnv PATH=${APP_PREFIX}/bin:/usr/bin:/usr/sbin`,
    '',
  ].join('\n'));
  for (const file of ['ld.so.cache', 'ld.so.conf', 'ssh/moduli']) {
    if (existsSync(join('/etc', file))) await copyFile(join('/etc', file), join(etc, file));
  }
  // Debian reaches awk, editor, ... through /etc/alternatives.
  await mkdir(join(etc, 'alternatives'), { recursive: true });
  for (const name of await readdir('/etc/alternatives')) {
    const stat = await lstat(join('/etc/alternatives', name));
    if (stat.isSymbolicLink()) await symlink(await readlink(join('/etc/alternatives', name)), join(etc, 'alternatives', name));
  }
}

async function makeDir(path: string, mode: number, uid = 0, gid = 0): Promise<void> {
  await mkdir(path, { recursive: true });
  await chmod(path, mode);
  await chown(path, uid, gid);
}

/** Builds the Android-like tree of a new phone (before any namespace exists). */
async function buildTree(paths: SandboxPaths, options: SandboxOptions): Promise<void> {
  const root = paths.root;
  for (const dir of ['usr', 'dev', 'proc', 'nix', 'system/bin', 'system/lib', 'run/phone', 'vendor', 'apex']) {
    await mkdir(join(root, dir), { recursive: true });
  }
  await makeDir(join(root, 'run/sshd'), 0o755);
  await makeDir(join(root, 'tmp'), 0o1777);
  for (const link of ['bin', 'sbin', 'lib', 'lib64']) await symlink(`usr/${link}`, join(root, link));
  await writeEtc(root, options.userName ?? 'nix-on-droid');
  await makeDir(join(root, 'data'), 0o771, 1000, 1000);
  const dataSizeMb = options.dataSizeMb;
  if (dataSizeMb) {
    // A small userdata partition, so tests can fill the phone's disk. Mounted on this side (under
    // the private PHONES_DIR mount) and carried into the phone's namespace by its rbind.
    await run('mount', ['-t', 'tmpfs', '-o', `size=${Math.max(1, Math.floor(dataSizeMb))}m,mode=0771,uid=1000,gid=1000`, 'fleet-phone-data', join(root, 'data')]);
  }
  await makeDir(join(root, 'data/local'), 0o751);
  await makeDir(join(root, 'data/local/tmp'), 0o771, SHELL_UID, SHELL_UID);
  await makeDir(join(root, 'data/data'), 0o771, 1000, 1000);
  await makeDir(join(root, 'data/app'), 0o771, 1000, 1000);
  await makeDir(join(root, 'data/misc/adb'), 0o2750, 1000, 2000);
  await makeDir(join(root, 'storage/emulated/0'), 0o2770, 0, 1015);
  for (const sub of ['Download', 'Android']) await makeDir(join(root, 'storage/emulated/0', sub), 0o2770, 0, 1015);
  await symlink('/storage/emulated/0', join(root, 'sdcard'));
  await symlink('/bin/sh', join(root, 'system/bin/sh'));
}

/** How to build a phone's sandbox. */
export interface SandboxOptions {
  /** Size of /data in MiB (a tmpfs); unlimited when absent. */
  readonly dataSizeMb?: number;
  /** Login name of the app's user besides nix-on-droid (a droid's user.userName). */
  readonly userName?: string;
}

/** Creates the phone's tree and namespaces. */
export async function createSandbox(port: number, options: SandboxOptions = {}): Promise<SandboxPaths> {
  const paths = sandboxPaths(port);
  await ensurePrivateMount();
  if (existsSync(paths.dir)) throw new Error(`${paths.dir} exists: run downPhones() first`);
  await mkdir(paths.dir, { recursive: true });
  await buildTree(paths, options);
  await run('ip', ['netns', 'add', paths.netns]);
  await run('ip', ['-n', paths.netns, 'link', 'set', 'lo', 'up']);
  await writeFile(paths.mntns, '');
  await run('unshare', [`--mount=${paths.mntns}`, '--propagation', 'private', 'true']);
  await run('nsenter', [`--mount=${paths.mntns}`, '--', '/bin/sh', '-c', MOUNT_SCRIPT, 'sh', paths.root]);
  return paths;
}

/** Unmounts whatever this machine's mount table holds under the phone's directory (deepest first). */
export async function unmountSandbox(paths: SandboxPaths): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const targets = mountinfo.split('\n').map((line) => line.split(' ')[4] ?? '')
    .filter((target) => target === paths.dir || target.startsWith(`${paths.dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const target of targets) await run('umount', ['-l', target], { allowFail: true });
}

/** Mounts the app's store (files/usr/nix) on the phone's /nix, as Nix-on-Droid's proot does. */
export async function mountAppStore(paths: SandboxPaths): Promise<void> {
  await mkdir(hostPath(paths, `${APP_PREFIX}/nix`), { recursive: true });
  await run('nsenter', [`--mount=${paths.mntns}`, '--', 'mount', '--bind', `${APP_PREFIX}/nix`, '/nix']);
}

/** Unmounts the app's store again (the app was uninstalled). */
export async function unmountAppStore(paths: SandboxPaths): Promise<void> {
  await run('nsenter', [`--mount=${paths.mntns}`, '--', 'umount', '-l', '/nix'], { allowFail: true });
}

const SHELL_ENV: Readonly<Record<string, string>> = {
  PATH: '/system/bin:/usr/bin:/usr/sbin',
  HOME: '/', USER: 'shell', LOGNAME: 'shell', SHELL: '/system/bin/sh',
  TMPDIR: '/data/local/tmp', ANDROID_DATA: '/data', ANDROID_ROOT: '/system',
  EXTERNAL_STORAGE: '/sdcard', ANDROID_STORAGE: '/storage', HOSTNAME: 'localhost',
};

const APP_ENV: Readonly<Record<string, string>> = {
  PATH: `${APP_PREFIX}/bin:/usr/bin:/usr/sbin`,
  HOME: APP_HOME, USER: 'nix-on-droid', LOGNAME: 'nix-on-droid', SHELL: '/bin/bash',
  TMPDIR: '/tmp', TERM: 'xterm-256color', LANG: 'C.UTF-8', PREFIX: APP_PREFIX,
};

/** Spawns argv inside the phone as `user`, in the phone's mount and network namespaces. */
export function spawnInPhone(paths: SandboxPaths, user: SandboxUser, argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const base = user === 'shell' ? SHELL_ENV : APP_ENV;
  const env = { ...base, ...options.env };
  const cwd = options.cwd ?? (user === 'shell' ? '/' : APP_HOME);
  const identity = user === 'shell'
    ? ['/usr/bin/setpriv', `--reuid=${SHELL_UID}`, `--regid=${SHELL_UID}`, `--groups=${SHELL_GROUPS}`, '--']
    : [];
  // Entering the mount namespace puts us at its root: the phone's tree.
  const args = [
    `--mount=${paths.mntns}`, `--net=/run/netns/${paths.netns}`, '--', ...identity,
    '/usr/bin/env', '-i', `--chdir=${cwd}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv,
  ];
  // Own process group, so closing an adb stream can hang up everything the command started.
  const child = spawn('nsenter', args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin?.on('error', () => undefined);
  return child;
}

/** Connects stdio to 127.0.0.1:`port` inside the phone's network namespace (the `tcp:` service). */
export function spawnPhoneTcp(paths: SandboxPaths, port: number): ChildProcess {
  const child = spawn('nsenter', [`--net=/run/netns/${paths.netns}`, '--', 'socat', '-d', '-d', 'STDIO', `TCP:127.0.0.1:${port}`],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  return child;
}
