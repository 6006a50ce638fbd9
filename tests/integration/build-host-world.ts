import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { DeployWorld } from './deploy-world';

/**
 * Set-up shared by the build-host tests (tv-box names moonlight as its build host).
 */

/**
 * The admin's ssh-agent holding the lab key, as the world's SSH_AUTH_SOCK: what the build host
 * signs in to its targets with. Returns the function that stops the agent.
 */
export function startAdminAgent(world: DeployWorld): () => void {
  const socket = path.join(world.home, 'agent.sock');
  const started = execFileSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
  const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
  execFileSync('ssh-add', ['-q', world.lab.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
  world.env.SSH_AUTH_SOCK = socket;
  return () => {
    if (pid) process.kill(pid);
  };
}

/**
 * tv-box gains a package whose build fails (a fresh one each time, so no earlier failure is
 * reused): backup-scripts-1.0, whose log ends "backup.sh: line 12: restic: command not found".
 */
export function breakTvBoxBuild(world: DeployWorld): void {
  world.edit('systems/tv-box/default.nix', '{ pkgs, ... }:', '{ lib, pkgs, ... }:');
  world.edit(
    'systems/tv-box/default.nix',
    'environment.systemPackages = [ pkgs.tmux pkgs.htop ];',
    `environment.systemPackages = [ pkgs.tmux pkgs.htop (lib.build.runCommand {
    name = "backup-scripts-1.0";
    inherit (pkgs) system;
    script = ''
      echo "self-test ${randomBytes(4).toString('hex')}"
      echo "backup.sh: line 12: restic: command not found" >&2
      exit 1
    '';
  }) ];`,
  );
}
