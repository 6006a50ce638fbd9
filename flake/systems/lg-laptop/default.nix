# lg-laptop: the LG Gram, a spare laptop on the stable kernel.
{ lib, ... }:
{
  homelab.desktop.enable = true;

  networking.hostName = "lg-laptop";
  boot.initrd.availableKernelModules = [ "nvme" "xhci_pci" ];

  # No Firefox here: it is the kids' homework machine.
  programs.firefox.enable = lib.mkForce false;
  system.stateVersion = "23.11";
}
