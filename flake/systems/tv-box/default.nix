# tv-box: a fanless low-power box under the TV. Too slow to build its own system, so its
# meta.json names moonlight as its build host: evaluated on the admin's laptop, built on
# moonlight, copied from moonlight straight to tv-box.
{ pkgs, ... }:
{
  homelab.server.enable = true;
  homelab.shell = "bash";

  networking.hostName = "tv-box";
  boot.initrd.availableKernelModules = [ "ahci" "xhci_pci" "sdhci_pci" ];

  environment.systemPackages = [ pkgs.tmux pkgs.htop ];
  system.stateVersion = "24.05";
}
