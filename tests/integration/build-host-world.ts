import { randomBytes } from 'node:crypto';
import type { DeployWorld } from './deploy-world';

/**
 * Set-up shared by the build-host tests (tv-box names moonlight as its build host).
 */

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
