# homelab.sshd: an OpenSSH server on the phone (port 8022, as Termux uses), so the fleet
# can deploy to it over Wi-Fi or an adb port forward.
{ config, lib, pkgs, ... }:
let cfg = config.homelab.sshd; in
{
  options.homelab.sshd = {
    enable = lib.mkEnableOption "an SSH server on the phone";
    port = lib.mkOption { type = lib.types.int; default = 8022; };
  };

  config = lib.mkIf cfg.enable {
    environment.packages = [ pkgs.openssh ];
    environment.etc."ssh/sshd_config".text = ''
      Port ${toString cfg.port}
      PasswordAuthentication no
    '';
  };
}
