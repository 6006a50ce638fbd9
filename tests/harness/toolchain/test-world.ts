import path from 'node:path';
import { existsSync } from 'node:fs';
import { parseSuite, toolchainPaths, type Suite } from './suites.js';

/**
 * Which toolchains a test run uses, from the environment (the current-Nix vitest projects
 * set these): FLEET_TEST_LOCAL_TOOLCHAIN for this machine's side (the app's nix), and
 * FLEET_TEST_HOST_TOOLCHAIN for the lab hosts (their sshd, nix-store --serve, nix-env).
 * Unset means Debian 12's nix-bin and OpenSSH, as installed on the machine.
 */
export interface TestToolchains {
  readonly local?: Suite;
  readonly hosts?: Suite;
}

/** The toolchains this test run asks for. */
export function testToolchains(env: NodeJS.ProcessEnv = process.env): TestToolchains {
  const local = env.FLEET_TEST_LOCAL_TOOLCHAIN;
  const hosts = env.FLEET_TEST_HOST_TOOLCHAIN;
  return { ...(local ? { local: parseSuite(local) } : {}), ...(hosts ? { hosts: parseSuite(hosts) } : {}) };
}

/**
 * FLEET_NIX for the app under test: the local toolchain's wrapper folder, or nothing (the
 * machine's nix). Throws when the toolchain asked for is not built, rather than silently
 * testing the machine's nix instead.
 */
export function localNixEnv(env: NodeJS.ProcessEnv = process.env): { readonly FLEET_NIX?: string } {
  const suite = testToolchains(env).local;
  if (!suite) return {};
  const paths = toolchainPaths(suite, env);
  if (!existsSync(paths.manifest)) throw new Error(`FLEET_TEST_LOCAL_TOOLCHAIN=${suite}, but that toolchain is not built: npm run lab -- toolchain up ${suite}`);
  return { FLEET_NIX: paths.bin };
}

/** The nix and nix-store a test itself should run to look at what the app did (same as the app's). */
export function localNixProgram(name: 'nix' | 'nix-store', env: NodeJS.ProcessEnv = process.env): string {
  const folder = localNixEnv(env).FLEET_NIX;
  return folder ? path.join(folder, name) : name;
}
