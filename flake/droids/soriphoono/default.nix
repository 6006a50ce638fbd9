# soriphoono's phone (Nix-on-Droid, aarch64-linux). The home homes/soriphoono is wired in.
{ pkgs, ... }:
{
  user.userName = "soriphoono";
  homelab.sshd.enable = true;

  environment.packages = [ pkgs.htop pkgs.fish ];
  time.timeZone = "Europe/Berlin";
  system.stateVersion = "24.05";
}
