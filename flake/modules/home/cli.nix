# homelab.cli.enable: the command-line tools the user wants everywhere.
{ config, lib, ... }:
{
  options.homelab.cli.enable = lib.mkEnableOption "the command-line tool set";

  config = lib.mkIf config.homelab.cli.enable {
    programs.ripgrep.enable = true;
    programs.fd.enable = true;
    programs.starship.enable = true;
    programs.direnv.enable = true;
  };
}
