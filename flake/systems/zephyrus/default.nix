# zephyrus: the ASUS Zephyrus laptop, daily driver.
{ pkgs, ... }:
{
  homelab.desktop.enable = true;

  networking.hostName = "zephyrus";
  boot.initrd.availableKernelModules = [ "nvme" "xhci_pci" "thunderbolt" ];
  boot.kernel.version = "6.8.9";

  programs.fish.version = "3.7.0";
  programs.direnv.enable = true;

  environment.systemPackages = [ pkgs.age pkgs.sops ];
  system.stateVersion = "24.05";
}
