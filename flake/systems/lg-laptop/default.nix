# lg-laptop: the LG Gram, a spare laptop on the stable kernel.
{ lib, ... }:
{
  homelab.desktop.enable = true;

  networking.hostName = "lg-laptop";
  # Hardware from nixos-facter (kernel modules for the initrd come from the report).
  hardware.facter.reportPath = ./facter.json;

  # No Firefox here: it is the kids' homework machine.
  programs.firefox.enable = lib.mkForce false;
  system.stateVersion = "23.11";
}
