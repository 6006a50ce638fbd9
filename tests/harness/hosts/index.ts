/**
 * The NixOS test hosts of the test fleet: real sshd processes, each in its own network and
 * mount namespace with its own /nix, reachable only from this machine. See ../README.md.
 */
export { startHosts, openLab, stopLab, readLabRecord, type Lab, type StartHostsOptions } from './lab.js';
export { LabHost } from './lab-host.js';
export type { CutMode } from './network.js';
export { reapStaleLabs, harnessNetns, harnessVeths } from './cleanup.js';
export { labHostNames, flakeSystemNames, FLAKE_DIR } from './names.js';
export { fingerprintOf } from './client-files.js';
export { SESSION_PATH } from './layout.js';
export { joinLan, bytesThroughThisMachine, lanAddressOf, lanNetns } from './lan.js';
export { parseRate, type LinkSpeed } from './link-speed.js';
export type { ActivationBreakState } from './activation.js';
export type { HostRecord, LabRecord } from './records.js';
export { run, runOk, type RunResult, type RunOptions } from './run.js';
export * as faults from './faults.js';
