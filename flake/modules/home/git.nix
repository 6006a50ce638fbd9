# Git defaults for every home (a home can override them).
{ lib, ... }:
{
  programs.git = {
    enable = lib.mkDefault true;
    userName = lib.mkDefault "soriphoono";
    userEmail = lib.mkDefault "soriphoono@users.noreply.github.com";
  };
}
