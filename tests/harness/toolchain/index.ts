/**
 * The current-Nix toolchains of the test world (Debian trixie, sid): made once, cached outside
 * the checkout, run on this machine's /nix through wrappers. See ../README.md.
 */
export { buildToolchain, removeTree } from './build.js';
export { checkToolchain, type ToolchainCheck } from './check.js';
export { readManifest, type ToolchainManifest } from './manifest.js';
export { parseSuite, toolchainPaths, cacheDir, SUITES, PROGRAMS, type Suite, type ToolchainPaths } from './suites.js';
export { toolVersions, nixVersionOf, opensshVersionOf, type ToolVersions } from './versions.js';
export { toolchainCommand, TOOLCHAIN_USAGE } from './command.js';
export { testToolchains, localNixEnv, localNixProgram, type TestToolchains } from './test-world.js';
