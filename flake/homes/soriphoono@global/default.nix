# Extra config for standalone installs (non-NixOS machines): base + this = homeConfigurations.soriphoono.
{ pkgs, ... }:
{
  home.packages = [ pkgs.nix pkgs.tmux ];
  programs.fish.interactiveShellInit = ''
    # Standalone install: bring the Nix profile into PATH.
    fish_add_path ~/.nix-profile/bin
  '';
}
