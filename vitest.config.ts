import { readFileSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

// Four suites: unit (fast, no outside processes), integration (real nix, git, sshd, adb;
// run as root in CI), security (hostile input against the real `fleet serve`, CLI, git
// and nix), e2e (the built renderer in Chromium through `fleet serve`); and the
// current-nix projects, which re-run a focused set of those against newer toolchains.
interface TestWorld {
  readonly local: string | null;
  readonly hosts: string | null;
  readonly include?: readonly string[];
}
// Which Nix and OpenSSH each project runs against (read by scripts/test.mjs too).
const worlds = JSON.parse(readFileSync(new URL('./tests/test-worlds.json', import.meta.url), 'utf8')) as Record<string, TestWorld>;

/**
 * Files whose bounds the machine's load could break (a watcher event within 1 s, a 10 MB
 * diff within 5 s, a phone seen within 2 s). They run alone, after the rest of their suite,
 * in a project named `<suite>-alone` (scripts/test.mjs runs both; `--project <suite>-alone`
 * runs them by hand). Bounds on the app's own timeouts (an offline host given up on at
 * pre-flight, a reboot timeout) are read from the app's stage timings or given room, so
 * those files run in pairs.
 */
const ALONE = new Set([
  'tests/integration/inventory.test.ts',
  'tests/integration/diff-git.test.ts',
  'tests/integration/android-devices.test.ts',
  // Not timings: each starts a lab installer whose blank disks are loop devices of this
  // machine, partitioned with sgdisk/partprobe; two starting at once failed once.
  'tests/integration/install-docker-node.test.ts',
  'tests/integration/install-hardware.test.ts',
]);

/**
 * The other files of a suite run two at a time: most of their time is spent waiting on
 * other processes (nix, sshd on the lab hosts, Chromium), and each file has its own lab
 * (its own slot: addresses, namespace and veth names), its own checkout copy, HOME, data
 * folder, adb port and `fleet serve` port, so two never share anything they change.
 * FLEET_TEST_FILES_AT_ONCE=1 runs them one at a time (scripts/test.mjs sets it when the
 * machine is already busy: there two at a time gain little and stretch every wait).
 */
const PAIRS = Math.max(1, Number(process.env.FLEET_TEST_FILES_AT_ONCE ?? '2') || 2);

const long = { testTimeout: 180_000, hookTimeout: 180_000 };

// Projects with different worker counts need their own group order (vitest refuses to mix
// them); a plain `vitest run` then runs the suites one after the other, the -alone projects
// and security (one file at a time) last.
let groupOrder = 0;

/** A suite of files that start outside processes: `name` two files at a time, and `name-alone`. */
function suite(name: string, include: readonly string[], env: Record<string, string> = {}) {
  // The ALONE files among `include` (a file, or a folder's `**/*.test.ts`).
  const alone = [...ALONE].filter((file) => include.some((pattern) => file.startsWith(pattern.replace(/\*\*\/\*\.test\.ts$/, ''))));
  groupOrder += 1;
  return [
    { test: { name, include: [...include], exclude: [...configDefaults.exclude, ...alone], env, ...long, maxWorkers: PAIRS, sequence: { groupOrder } } },
    ...(alone.length > 0 ? [{ test: { name: `${name}-alone`, include: alone, env, ...long, fileParallelism: false } }] : []),
  ];
}

/** A project re-running `include` against the toolchains its world names. */
function currentNix(name: string) {
  const world = worlds[name];
  if (!world?.include) throw new Error(`tests/test-worlds.json has no files for ${name}`);
  return suite(name, world.include, {
    ...(world.local ? { FLEET_TEST_LOCAL_TOOLCHAIN: world.local } : {}),
    ...(world.hosts ? { FLEET_TEST_HOST_TOOLCHAIN: world.hosts } : {}),
  });
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'tests/unit/**/*.test.tsx'],
          environment: 'node',
          // Every core (vitest's default leaves one free: a single worker on a 2-core machine).
          maxWorkers: '100%',
        },
      },
      ...suite('integration', ['tests/integration/**/*.test.ts']),
      {
        test: {
          name: 'security',
          include: ['tests/security/**/*.test.ts'],
          ...long,
          fileParallelism: false,
        },
      },
      ...suite('e2e', ['tests/e2e/**/*.test.ts']),
      // The key flows again against current Nix and OpenSSH: Debian sid's Nix 2.34 /
      // OpenSSH 10.6 (tests/harness/toolchain), once on this machine's side with Debian 12
      // hosts, once the other way round, and one e2e with both. A focused set (the files are
      // in tests/test-worlds.json), so npm test stays well inside CI's time.
      ...currentNix('current-nix-local'),
      ...currentNix('current-nix-hosts'),
      ...currentNix('current-nix-e2e'),
    ],
  },
});
