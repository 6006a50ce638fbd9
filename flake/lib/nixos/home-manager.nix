# Home Manager as a NixOS module: home-manager.users.<name> holds the user's home modules
# (the flake wires homes/<user> + homes/<user>@<host> here). Each home is built with the
# system and activated by a home-manager-<user> unit, so it is part of the closure.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  inherit (builtins) attrNames listToAttrs map;
  users = attrNames config.home-manager.users;

  homes = listToAttrs (map (user: {
    name = user;
    value = lib.evalHome {
      inherit (pkgs) system;
      userName = user;
      homeDirectory = "/home/${user}";
      versions = config.nixpkgs.versions;
      modules = config.home-manager.users.${user};
    };
  }) users);
in
{
  options.home-manager.users = mkOption {
    type = types.attrsOf types.modules;
    default = { };
    description = "Home Manager modules per user.";
  };

  config = {
    users.users = listToAttrs (map (user: {
      name = user;
      value = { uid = 1000; home = "/home/${user}"; shell = "/run/current-system/sw/bin/fish"; };
    }) users);
    systemd.services = listToAttrs (map (user: {
      name = "home-manager-${user}";
      value = {
        description = "Home Manager environment for ${user}";
        execStart = "${homes.${user}.activationPackage}/activate";
      };
    }) users);
  };
}
