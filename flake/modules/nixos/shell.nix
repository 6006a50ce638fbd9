# homelab.shell: the login shell of the homelab's users, fish unless a host says otherwise.
{ config, lib, ... }:
{
  options.homelab.shell = lib.mkOption {
    type = lib.types.enum [ "bash" "fish" ];
    default = "fish";
  };

  config = lib.mkIf (config.homelab.shell == "fish") {
    programs.fish.enable = true;
  };
}
