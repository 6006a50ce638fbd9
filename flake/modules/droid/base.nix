# What every phone gets: a greeting, git and an SSH client.
{ pkgs, ... }:
{
  environment.motd = "Welcome to the homelab's Nix-on-Droid.";
  environment.packages = [ pkgs.git pkgs.openssh ];
}
