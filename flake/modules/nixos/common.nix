# Settings every host of the homelab shares.
{ lib, pkgs, ... }:
{
  time.timeZone = lib.mkDefault "Europe/Berlin";
  i18n.defaultLocale = "en_US.UTF-8";

  nix.settings = {
    experimental-features = [ "nix-command" "flakes" ];
    trusted-users = [ "root" "@wheel" ];
  };

  services.openssh = {
    enable = true;
    settings.PermitRootLogin = "prohibit-password";
    settings.PasswordAuthentication = "no";
  };

  programs.git.enable = true;
  programs.htop.enable = true;
  environment.systemPackages = [ pkgs.curl pkgs.fleet-motd ];
  environment.etc.motd.text = "Managed by the homelab flake. Changes here are overwritten.\n";
}
