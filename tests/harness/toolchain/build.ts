import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { access, mkdir, open, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, runOk, sleep } from '../hosts/run.js';
import { readManifest, type ToolchainManifest } from './manifest.js';
import { MIRROR, PACKAGES, SUITES, toolchainPaths, type Suite, type ToolchainPaths } from './suites.js';
import { toolVersions } from './versions.js';
import { wrappersCurrent, writeWrappers } from './wrappers.js';

/**
 * Making a toolchain: debootstrap into <suite>.partial, check that nix-bin and OpenSSH are
 * configured, write the wrappers and the manifest, then rename the folder into place. Anything
 * found half made (an interrupted debootstrap, a folder without its manifest) is removed first.
 */

const exists = (file: string) => access(file).then(() => true, () => false);

/** Make the suite's toolchain unless it is complete already; returns its manifest. */
export async function buildToolchain(suite: Suite, say: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<ToolchainManifest> {
  const paths = toolchainPaths(suite, env);
  const ready = await readManifest(paths.manifest);
  if (ready) {
    // Made by an older harness (its fstab may not show /nix): the wrappers are cheap to rewrite.
    if (!(await wrappersCurrent(paths.dir))) {
      say(`rewriting the wrappers of ${paths.dir} (their fstab is out of date)`);
      await writeWrappers(paths.dir);
    }
    return ready;
  }
  await mkdir(path.dirname(paths.dir), { recursive: true });
  return withBuildLock(paths, say, async () => {
    // Someone else may have finished it while we waited for the lock.
    const built = await readManifest(paths.manifest);
    if (built) return built;
    if (await exists(paths.dir)) {
      say(`${paths.dir} is half made (no toolchain.json): removing it`);
      await removeTree(paths.dir);
    }
    if (await exists(paths.partial)) {
      say(`removing an interrupted build in ${paths.partial}`);
      await removeTree(paths.partial);
    }
    return makeToolchain(paths, say);
  });
}

async function makeToolchain(paths: ToolchainPaths, say: (line: string) => void): Promise<ToolchainManifest> {
  const started = Date.now();
  const rootfs = path.join(paths.partial, 'rootfs');
  await mkdir(paths.partial, { recursive: true });
  say(`debootstrap ${paths.suite} from ${MIRROR} into ${rootfs} (log: ${paths.log})`);
  await debootstrap(paths, rootfs);
  await checkInstalled(rootfs);
  // The packages' .deb files are only debootstrap's download cache.
  const archives = path.join(rootfs, 'var/cache/apt/archives');
  for (const name of await readdir(archives).catch(() => [])) if (name.endsWith('.deb')) await unlink(path.join(archives, name));
  await mkdir(path.join(rootfs, 'nix'), { recursive: true });
  // Complete but for the manifest: from here on an interruption leaves a "half made" folder.
  await rename(paths.partial, paths.dir);
  await writeWrappers(paths.dir);
  const tools = await toolVersions(path.join(paths.bin, 'nix'), path.join(paths.bin, 'ssh'));
  const bytes = Number((await runOk('du', ['-sb', '--one-file-system', paths.rootfs])).split('\t')[0]);
  const manifest: ToolchainManifest = {
    version: 1,
    suite: paths.suite,
    tools,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
    bytes,
  };
  // Written last, and atomically: its presence is what "complete" means.
  await writeFile(`${paths.manifest}.new`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${paths.manifest}.new`, paths.manifest);
  return manifest;
}

function debootstrap(paths: ToolchainPaths, rootfs: string): Promise<void> {
  const script = path.join('/usr/share/debootstrap/scripts', SUITES[paths.suite].script);
  const args = ['--variant=minbase', `--include=${PACKAGES.join(',')}`, '--components=main', paths.suite, rootfs, MIRROR, script];
  const logFd = openSync(paths.log, 'w');
  const child = spawn('debootstrap', args, { stdio: ['ignore', logFd, logFd], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  closeSync(logFd);
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new Error(`could not start debootstrap: ${error.message}`)));
    child.on('close', async (code) => {
      if (code === 0) return resolve();
      const log = await readFile(paths.log, 'utf8').catch(() => '');
      reject(new Error(`debootstrap ${paths.suite} failed (exit ${code}); last lines of ${paths.log}:\n${log.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

/** Every package we asked for is configured (an unconfigured nix-bin has no working nix). */
async function checkInstalled(rootfs: string): Promise<void> {
  const result = await run('chroot', [rootfs, 'dpkg-query', '-W', '-f=${Package} ${db:Status-Status}\n', ...PACKAGES]);
  const installed = new Set(result.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  const missing = PACKAGES.filter((p) => !installed.has(p));
  if (missing.length > 0) throw new Error(`debootstrap left these packages unconfigured: ${missing.join(', ')}\n${result.stdout}${result.stderr}`);
}

/**
 * Remove a folder that may still hold mounts (debootstrap mounts /proc and /sys in its target
 * and leaves them when interrupted): unmount everything below it first, never cross into
 * another file system.
 */
export async function removeTree(dir: string): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const below = mountinfo
    .split('\n')
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of below) await runOk('umount', ['-l', point]);
  await runOk('rm', ['-rf', '--one-file-system', '--', dir]);
}

/** Run `body` holding the suite's build lock; a lock left by a dead process is taken over. */
async function withBuildLock<T>(paths: ToolchainPaths, say: (line: string) => void, body: () => Promise<T>): Promise<T> {
  let told = false;
  for (;;) {
    try {
      const handle = await open(paths.lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(paths.lock, 'utf8').catch(() => '')).trim());
      if (!(owner > 0 && processAlive(owner))) {
        await rm(paths.lock, { force: true });
        continue;
      }
      if (!told) say(`waiting for process ${owner}, which is making the ${paths.suite} toolchain`);
      told = true;
      await sleep(1000);
    }
  }
  try {
    return await body();
  } finally {
    await rm(paths.lock, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
