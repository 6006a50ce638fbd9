import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { readManifest, type ToolchainManifest } from './manifest.js';
import { PROGRAMS, toolchainPaths, type Suite } from './suites.js';
import { toolVersions, type ToolVersions } from './versions.js';
import { wrappersCurrent } from './wrappers.js';

/** What `toolchain check` found: ready, or what is missing. */
export interface ToolchainCheck {
  readonly suite: Suite;
  readonly bin: string;
  readonly problems: readonly string[];
  readonly manifest: ToolchainManifest | null;
  /** Versions the wrappers report now (null when they do not run). */
  readonly tools: ToolVersions | null;
}

/** Check that a suite's toolchain is complete and its nix and ssh run on this machine. */
export async function checkToolchain(suite: Suite, env: NodeJS.ProcessEnv = process.env): Promise<ToolchainCheck> {
  const paths = toolchainPaths(suite, env);
  const manifest = await readManifest(paths.manifest);
  const result = (problems: readonly string[], tools: ToolVersions | null = null): ToolchainCheck => ({ suite, bin: paths.bin, problems, manifest, tools });
  if (!manifest) {
    const half = await access(paths.dir).then(() => true, () => false);
    return result([
      half
        ? `the ${suite} toolchain in ${paths.dir} is half made (no toolchain.json); remake it with: npm run lab -- toolchain up ${suite}`
        : `the ${suite} toolchain is not built; make it (once, a few minutes) with: npm run lab -- toolchain up ${suite}`,
    ]);
  }
  const problems: string[] = [];
  for (const needed of ['rootfs/usr/bin/nix', 'rootfs/usr/sbin/sshd', 'rootfs/usr/bin/ssh', 'enter.sh', 'fstab', ...PROGRAMS.map((p) => `bin/${p}`)]) {
    const file = path.join(paths.dir, needed);
    const mode = needed.startsWith('bin/') ? constants.X_OK : constants.F_OK;
    if (!(await access(file, mode).then(() => true, () => false))) problems.push(`${file} is missing`);
  }
  if (problems.length > 0) return result([...problems, `remake it with: rm -rf ${paths.dir} && npm run lab -- toolchain up ${suite}`]);
  if (!(await wrappersCurrent(paths.dir))) {
    return result([`the wrappers of the ${suite} toolchain in ${paths.dir} are out of date (their fstab does not show what every program needs, e.g. /nix); rewrite them with: npm run lab -- toolchain up ${suite}`]);
  }
  try {
    return result([], await toolVersions(path.join(paths.bin, 'nix'), path.join(paths.bin, 'ssh')));
  } catch (error) {
    return result([`the ${suite} toolchain does not run here (it needs root): ${(error as Error).message}`]);
  }
}
