# soriphoono's home, used everywhere (standalone, on NixOS hosts and on the phone).
{ ... }:
{
  homelab.cli.enable = true;

  programs.fish.enable = true;
  programs.neovim.enable = true;
  programs.home-manager.enable = true;
  home.sessionVariables.PAGER = "less -R";
  home.stateVersion = "24.05";
}
