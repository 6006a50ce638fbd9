# new-user: rename this directory to the user's login name (it becomes homeConfigurations.<name>).
{ ... }:
{
  homelab.cli.enable = true;
  programs.home-manager.enable = true;
  home.stateVersion = "24.05";
}
