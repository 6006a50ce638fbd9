# moonlight: the always-on home server (media, backups, tailscale exit node).
{ pkgs, ... }:
{
  homelab.server = {
    enable = true;
    containers = "podman";
  };

  networking.hostName = "moonlight";
  boot.initrd.availableKernelModules = [ "ahci" "sd_mod" ];
  # The kernel this host boots. A bump (e.g. to "6.6.32") changes kernel, initrd and modules:
  # the host then needs a reboot (`fleet status`, `fleet deploy --reboot`).
  boot.kernel.version = "6.6.30";

  # The status page the deploy's health checks ask (meta.json deploy.checks). Set fault to
  # "crash" or "unhealthy" to see a deploy fail its checks and roll back.
  services.status-page.enable = true;
  services.status-page.fault = "none";

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
