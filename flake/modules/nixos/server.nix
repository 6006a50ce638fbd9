# homelab.server.enable: what an always-on machine gets (remote access, containers, tmux).
{ config, lib, ... }:
let cfg = config.homelab.server; in
{
  options.homelab.server = {
    enable = lib.mkEnableOption "the server role";
    containers = lib.mkOption {
      type = lib.types.enum [ "none" "docker" "podman" ];
      default = "none";
      description = "Which container engine the server runs.";
    };
  };

  config = lib.mkIf cfg.enable {
    services.tailscale.enable = true;
    programs.tmux.enable = true;
    virtualisation.docker.enable = cfg.containers == "docker";
    virtualisation.podman.enable = cfg.containers == "podman";
    boot.kernelParams = [ "console=ttyS0,115200" ];
  };
}
