# new-host: rename this directory to the host's name (it becomes nixosConfigurations.<name>).
{ ... }:
{
  networking.hostName = "new-host";
  homelab.server.enable = true;
  boot.initrd.availableKernelModules = [ "ahci" "sd_mod" ];
  system.stateVersion = "24.05";
}
