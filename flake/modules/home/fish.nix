# The user's fish setup, shared by every home that enables fish.
{ config, lib, ... }:
lib.mkIf config.programs.fish.enable {
  programs.fish.shellAliases = {
    ll = "ls -l";
    gs = "git status";
  };
  home.sessionVariables.EDITOR = "nvim";
}
