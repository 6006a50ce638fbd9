import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

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

/** A project re-running `include` against the toolchains its world names. */
function currentNix(name: string) {
  const world = worlds[name];
  if (!world?.include) throw new Error(`tests/test-worlds.json has no files for ${name}`);
  return {
    test: {
      name,
      include: [...world.include],
      env: {
        ...(world.local ? { FLEET_TEST_LOCAL_TOOLCHAIN: world.local } : {}),
        ...(world.hosts ? { FLEET_TEST_HOST_TOOLCHAIN: world.hosts } : {}),
      },
      testTimeout: 180_000,
      hookTimeout: 180_000,
      fileParallelism: false,
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'tests/unit/**/*.test.tsx'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'security',
          include: ['tests/security/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      // The key flows again against current Nix and OpenSSH: Debian sid's Nix 2.34 /
      // OpenSSH 10.6 (tests/harness/toolchain), once on this machine's side with Debian 12
      // hosts, once the other way round, and one e2e with both. A focused set (the files are
      // in tests/test-worlds.json), so npm test stays well inside CI's time.
      currentNix('current-nix-local'),
      currentNix('current-nix-hosts'),
      currentNix('current-nix-e2e'),
    ],
  },
});
