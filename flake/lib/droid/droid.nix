# The core Nix-on-Droid options of the stand-in and its activation package
# (nix-on-droid-generation: activate, etc, nix-on-droid-path, home-manager generation).
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  inherit (lib.build) runCommand writeText writeTree linkPackages escapeShellArg;
  inherit (builtins) attrNames map;
  inherit (pkgs) system;
  hm = config.home-manager;

  home =
    if hm.config == [ ] then null
    else lib.evalHome {
      inherit system;
      inherit (config.user) userName;
      homeDirectory = config.user.home;
      versions = config.nixpkgs.versions;
      modules = hm.config;
    };

  etc = writeTree {
    name = "etc";
    inherit system;
    files = builtins.listToAttrs (map (n: { name = "etc/${n}"; value = config.environment.etc.${n}.text; })
      (attrNames config.environment.etc));
  };
  path = linkPackages { name = "nix-on-droid-path"; inherit system; packages = config.environment.packages; };
  activateTemplate = writeText { name = "activate"; inherit system; text = builtins.readFile ./activate.sh; };
in
{
  options = {
    user.userName = mkOption { type = types.str; default = "nix-on-droid"; };
    user.home = mkOption { type = types.str; default = "/data/data/com.termux.nix/files/home"; };
    user.shell = mkOption { type = types.str; default = "${pkgs.bash}/bin/bash"; };
    system.stateVersion = mkOption { type = types.str; default = "24.05"; };
    time.timeZone = mkOption { type = types.str; default = "UTC"; };
    nixpkgs.versions = mkOption { type = types.attrsOf types.str; default = { }; };
    environment.packages = mkOption { type = types.listOf types.package; default = [ ]; };
    environment.etc = mkOption { type = types.attrsOf types.anything; default = { }; };
    environment.motd = mkOption { type = types.lines; default = "Welcome to Nix-on-Droid!"; };
    terminal.font = mkOption { type = types.nullOr types.str; default = null; };
    nix.extraOptions = mkOption { type = types.lines; default = "experimental-features = nix-command flakes"; };
    home-manager.config = mkOption { type = types.modules; default = [ ]; description = "The user's Home Manager modules."; };
    home-manager.useGlobalPkgs = mkOption { type = types.bool; default = true; };
    build.activationPackage = mkOption { type = types.package; };
  };

  config = {
    environment.packages = with pkgs; [ bash coreutils nix nix-on-droid termux-tools ];
    environment.etc = {
      motd.text = config.environment.motd + "\n";
      "nix/nix.conf".text = config.nix.extraOptions + "\n";
      timezone.text = config.time.timeZone + "\n";
    };
    build.activationPackage = runCommand {
      name = "nix-on-droid-generation";
      inherit system;
      script = ''
        phase installPhase
        mkdir -p "$out"
        ln -s ${etc}/etc "$out/etc"
        ln -s ${path} "$out/nix-on-droid-path"
        ${if home == null then "" else "ln -s ${home.activationPackage} \"$out/home-manager-generation\""}
        printf '%s\n' ${escapeShellArg config.user.userName} > "$out/username"
        printf '%s\n' ${escapeShellArg config.system.stateVersion} > "$out/state-version"
        sed "s|@out@|$out|g" ${activateTemplate} > "$out/activate"
        chmod 0555 "$out/activate"
        echo "built the Nix-on-Droid generation of ${config.user.userName}"
      '';
    };
  };
}
