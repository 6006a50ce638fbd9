# Overrides for soriphoono on zephyrus (imported by the NixOS system, never deployed standalone).
{ ... }:
{
  programs.git.userEmail = "soriphoono@zephyrus.lan";
  programs.htop.enable = true;
}
