# moonlight: the always-on home server (media, backups, tailscale exit node).
{ pkgs, ... }:
{
  homelab.server = {
    enable = true;
    containers = "podman";
  };

  networking.hostName = "moonlight";
  boot.initrd.availableKernelModules = [ "ahci" "sd_mod" ];

  # Versions pinned on this host; edit one and the host's closure changes.
  programs.fish.version = "3.7.1";
  services.openssh.version = "9.6p1";
  services.openssh.ports = [ 22 2222 ];

  environment.systemPackages = [ pkgs.age pkgs.sops ];

  # Encrypted with the keys .sops.yaml names for this host.
  sops.defaultSopsFile = ./secrets.yaml;
  sops.secrets."tailscale/auth_key" = { };
  sops.secrets."restic/password".owner = "restic";
  system.stateVersion = "24.05";
}
