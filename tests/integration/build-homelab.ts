import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCore, type FleetCore } from '../../src-main/core/core';
import type { FleetEvent } from '../../src-main/core/events';
import type { JobInfo } from '../../src-main/core/jobs/types';
import { localNixEnv } from '../harness/toolchain/index.js';

export const flakeDir = path.resolve(__dirname, '../../flake');

/** This machine has no binary cache and builds the aarch64 phone with /bin/sh. */
export const testEnv: NodeJS.ProcessEnv = {
  ...process.env,
  FLEET_NIX_OPTIONS: 'substituters=; extra-platforms=aarch64-linux',
  // The current-Nix runs point the app at a toolchain's nix (FLEET_TEST_LOCAL_TOOLCHAIN).
  ...localNixEnv(),
};

/** A git-initialised copy of the example homelab, changed by `edit` before the commit. */
export function copyHomelab(edit: (dir: string) => void = () => undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-build-'));
  // The committed flake, so an edit in progress in the working tree cannot break a run;
  // outside a git checkout (a release tarball) the folder itself.
  try {
    const tar = execFileSync('git', ['archive', '--format=tar', 'HEAD:flake'], { cwd: path.dirname(flakeDir), maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  } catch {
    fs.cpSync(flakeDir, dir, { recursive: true, filter: (src) => !/\/result(-\w+)?$/.test(src) });
  }
  edit(dir);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab copy');
  return dir;
}

/** Replace text in a file of the copy; fails loudly when the text is not there. */
export function replaceIn(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  fs.writeFileSync(file, text.replace(from, to));
}

/**
 * The text of flake/'s systems/moonlight/default.nix with one more package: a derivation
 * `name` whose builder runs the shell lines `script`. How the build tests make a build fail,
 * take its time or wait for them.
 */
export function withMoonlightPackage(text: string, name: string, script: readonly string[]): string {
  const from = 'environment.systemPackages = [ pkgs.age pkgs.sops ];';
  if (!text.includes(from) || !text.includes('{ pkgs, ... }:')) throw new Error(`moonlight's default.nix no longer holds ${from}`);
  return text.replace('{ pkgs, ... }:', '{ lib, pkgs, ... }:').replace(
    from,
    `environment.systemPackages = [ pkgs.age pkgs.sops (lib.build.runCommand {
    name = "${name}";
    inherit (pkgs) system;
    script = ''
${script.map((line) => `      ${line}`).join('\n')}
    '';
  }) ];`,
  );
}

/** A new kernel version: every system's kernel, initrd and toplevel must build. */
export function bumpKernel(dir: string): void {
  // A version no earlier run on this machine used: its paths are new to the store and
  // rooted by nothing else (the CI run shares the store of earlier sessions).
  const patch = 1000 + ((Date.now() * 1000 + Math.floor(Math.random() * 1000)) % 9_000_000);
  replaceIn(path.join(dir, 'lib/pins.nix'), '"6.6.30"', `"6.6.${patch}"`);
  // moonlight pins the kernel it boots (its reboot-needed example): bump that one too.
  replaceIn(path.join(dir, 'systems/moonlight/default.nix'), 'boot.kernel.version = "6.6.30";', `boot.kernel.version = "6.6.${patch}";`);
}

export interface Session {
  readonly core: FleetCore;
  readonly events: FleetEvent[];
  readonly dataDir: string;
  close(): Promise<void>;
}

/** A core on `root` recording every event. */
export function openCore(root: string, env: NodeJS.ProcessEnv = testEnv): Session {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-build-data-'));
  const core = createCore({ host: 'cli', dataDir, root, env });
  const events: FleetEvent[] = [];
  core.subscribe((e) => events.push(e));
  return {
    core,
    events,
    dataDir,
    close: async () => {
      await core.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Start a job command and wait for its end. */
export async function runJob(session: Session, name: string, input: unknown): Promise<JobInfo> {
  const { jobId } = (await session.core.invoke(name, input)) as { jobId: string };
  return session.core.context.jobs.wait(jobId);
}

/** Live processes whose command line contains `needle`. */
export function processesMatching(needle: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle)) found.push({ pid: Number(entry), cmdline });
    } catch {
      // gone
    }
  }
  return found;
}
