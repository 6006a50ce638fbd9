# new-droid: rename this directory to the phone's name (it becomes nixOnDroidConfigurations.<name>).
{ ... }:
{
  user.userName = "nix-on-droid";
  homelab.sshd.enable = true;
  system.stateVersion = "24.05";
}
