# docker-node: a small box that runs the homelab's containers.
{ ... }:
{
  imports = [ ./disko.nix ];

  homelab.server = {
    enable = true;
    containers = "docker";
  };
  homelab.shell = "bash";

  networking.hostName = "docker-node";
  boot.initrd.availableKernelModules = [ "virtio_pci" "virtio_blk" ];
  boot.loader.systemd-boot.enable = true;

  # Pin a package version for this host only.
  nixpkgs.versions.containerd = "1.7.15";
  system.stateVersion = "24.05";
}
