# The core NixOS options of the stand-in: what every host has (nixpkgs' nixos/modules,
# cut down to the options this homelab uses).
{ config, lib, pkgs, name, ... }:
let
  inherit (lib) mkOption mkDefault types;
  inherit (builtins) attrNames concatStringsSep listToAttrs map;
  release = (import ../pins.nix).release;
  shortRev = builtins.substring 0 7 release.revision;

  unitText = unit: s: ''
    [Unit]
    Description=${s.description or unit}
    ${if s ? after then "After=${concatStringsSep " " s.after}" else ""}

    [Service]
    ExecStart=${s.execStart}
    ${if s ? restart then "Restart=${s.restart}" else ""}
    ${if s.standInRun or false then "X-StandInRun=yes" else ""}

    [Install]
    WantedBy=${concatStringsSep " " (s.wantedBy or [ "multi-user.target" ])}
  '';
in
{
  options = {
    networking.hostName = mkOption { type = types.str; default = name; description = "The host's name."; };
    networking.domain = mkOption { type = types.nullOr types.str; default = null; };
    networking.firewall.allowedTCPPorts = mkOption { type = types.listOf types.int; default = [ ]; };
    time.timeZone = mkOption { type = types.str; default = "UTC"; };
    i18n.defaultLocale = mkOption { type = types.str; default = "en_US.UTF-8"; };

    system.stateVersion = mkOption { type = types.str; default = release.version; };
    system.nixos.version = mkOption { type = types.str; default = "${release.version}.${release.date}.${shortRev}"; };
    system.nixos.codeName = mkOption { type = types.str; default = release.codeName; };
    system.nixos.revision = mkOption { type = types.str; default = release.revision; };
    system.configurationRevision = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The git revision of the homelab this system was built from.";
    };
    system.build = mkOption { type = types.attrsOf types.anything; default = { }; };

    assertions = mkOption { type = types.listOf types.anything; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };

    nixpkgs.hostPlatform = mkOption { type = types.str; default = "x86_64-linux"; };
    nixpkgs.versions = mkOption {
      type = types.attrsOf types.str;
      default = { };
      description = "Package versions that replace the catalogue's (lib/pins.nix), e.g. { openssh = \"9.7p1\"; }.";
    };

    environment.systemPackages = mkOption { type = types.listOf types.package; default = [ ]; };
    environment.etc = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      description = "Files under /etc: environment.etc.\"path\".text = \"...\".";
    };
    users.users = mkOption { type = types.attrsOf types.anything; default = { }; };
    systemd.services = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      description = "Units: { description, execStart, wantedBy ? [ ], after ? [ ], standInRun ? false }. The stand-in service manager runs execStart only for units with standInRun (others are recorded as active).";
    };
    fileSystems = mkOption { type = types.attrsOf types.anything; default = { }; };
    nix.settings = mkOption { type = types.attrsOf types.anything; default = { }; };

    boot.kernel.version = mkOption { type = types.str; default = pkgs.linux.version; description = "Version of the linux package."; };
    boot.kernelParams = mkOption { type = types.listOf types.str; default = [ ]; };
    boot.initrd.availableKernelModules = mkOption { type = types.listOf types.str; default = [ ]; };
    boot.loader.systemd-boot.enable = mkOption { type = types.bool; default = true; };
  };

  config = {
    environment.systemPackages = with pkgs; [ bash coreutils glibc systemd util-linux kmod shadow iproute2 nix dbus ];

    nix.settings.experimental-features = mkDefault [ "nix-command" "flakes" ];
    boot.kernelParams = [ "loglevel=4" ];

    users.users.root = { uid = 0; home = "/root"; shell = "${pkgs.bash}/bin/bash"; };

    environment.etc = {
      hostname.text = config.networking.hostName + "\n";
      "os-release".text = ''
        NAME=NixOS
        ID=nixos
        VERSION="${config.system.nixos.version} (${config.system.nixos.codeName})"
        VERSION_ID="${release.version}"
        PRETTY_NAME="NixOS ${release.version} (${config.system.nixos.codeName})"
        BUILD_ID="${config.system.nixos.version}"
      '';
      "nix/nix.conf".text = concatStringsSep "\n" (map (k:
        let v = config.nix.settings.${k}; in
        "${k} = ${if builtins.isList v then concatStringsSep " " (map toString v) else toString v}")
        (attrNames config.nix.settings)) + "\n";
      timezone.text = config.time.timeZone + "\n";
      "locale.conf".text = "LANG=${config.i18n.defaultLocale}\n";
      passwd.text = concatStringsSep "" (map (u:
        let v = config.users.users.${u}; in
        "${u}:x:${toString (v.uid or 1000)}:${toString (v.gid or 100)}::${v.home or "/home/${u}"}:${v.shell or "/run/current-system/sw/bin/bash"}\n")
        (attrNames config.users.users));
    } // listToAttrs (map (unit: {
      name = "systemd/system/${unit}.service";
      value.text = unitText unit config.systemd.services.${unit};
    }) (attrNames config.systemd.services));

    systemd.services.nix-daemon = {
      description = "Nix Daemon";
      execStart = "${pkgs.nix}/bin/nix daemon";
    };

    assertions = [
      {
        assertion = builtins.match "[a-zA-Z0-9-]+" config.networking.hostName != null;
        message = "networking.hostName `${config.networking.hostName}' must be letters, digits and dashes.";
      }
    ];
  };
}
