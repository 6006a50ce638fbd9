# homelab.desktop.enable: a laptop or workstation with a browser, audio and Wi-Fi.
{ config, lib, ... }:
{
  options.homelab.desktop.enable = lib.mkEnableOption "the desktop role";

  config = lib.mkIf config.homelab.desktop.enable {
    programs.firefox.enable = true;
    programs.neovim.enable = true;
    services.pipewire.enable = true;
    networking.networkmanager.enable = true;
    boot.kernelParams = [ "quiet" "splash" ];
  };
}
