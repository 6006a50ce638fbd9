# system.build.toplevel: the store path a NixOS host boots and switches to, laid out as on
# NixOS (bin/switch-to-configuration, activate, kernel, initrd, etc, sw, nixos-version, ...).
{ config, lib, pkgs, ... }:
let
  inherit (builtins) concatStringsSep filter map;
  inherit (lib.build) runCommand writeText writeScript writeTree linkPackages escapeShellArg;
  inherit (pkgs) system;
  cfg = config.system;
  revision = if cfg.configurationRevision == null then "" else cfg.configurationRevision;

  failed = filter (a: !a.assertion) config.assertions;
  checked = if failed == [ ] then true
    else throw "\nFailed assertions:\n${concatStringsSep "\n" (map (a: "- ${a.message}") failed)}";

  kernel = pkgs.withVersion "linux" config.boot.kernel.version;

  # The initrd carries the kernel's modules and systemd, so it changes when either does.
  initrd = runCommand {
    name = "initrd-linux-${config.boot.kernel.version}";
    inherit system;
    script = ''
      phase installPhase
      mkdir -p "$out"
      {
        echo "initrd for ${config.networking.hostName}"
        echo "kernel modules: ${kernel}/lib/modules/${config.boot.kernel.version}"
        echo "modules: ${concatStringsSep " " config.boot.initrd.availableKernelModules}"
        echo "init: ${pkgs.systemd}/lib/systemd/systemd"
        yes "initrd ${config.boot.kernel.version}" | head -c 300000
      } > "$out/initrd"
      echo "created initrd ($(wc -c < "$out/initrd") bytes)"
    '';
  };

  nixos-version = writeScript {
    name = "nixos-version";
    inherit system;
    text = ''
      # nixos-version as on NixOS: the version, or --json / --revision / --configuration-revision.
      version=${escapeShellArg cfg.nixos.version}
      case "''${1:-}" in
        "") echo "$version (${cfg.nixos.codeName})" ;;
        --json)
          printf '{"nixosVersion":"%s","nixpkgsRevision":"%s","configurationRevision":"%s"}\n' \
            "$version" ${escapeShellArg cfg.nixos.revision} ${escapeShellArg revision} ;;
        --hash|--revision) echo ${escapeShellArg cfg.nixos.revision} ;;
        --configuration-revision) echo ${escapeShellArg revision} ;;
        *) echo "nixos-version: unknown option '$1'" >&2; exit 1 ;;
      esac
    '';
  };

  # The nixos-version command lives in sw/bin like on NixOS.
  nixosVersionPackage = runCommand {
    name = "nixos-version";
    inherit system;
    script = ''
      mkdir -p "$out/bin"
      ln -s ${nixos-version} "$out/bin/nixos-version"
    '';
  };

  etc = writeTree {
    name = "etc";
    inherit system;
    files = builtins.listToAttrs (map (name: { name = "etc/${name}"; value = config.environment.etc.${name}.text; })
      (builtins.attrNames config.environment.etc));
  };

  path = linkPackages {
    name = "system-path";
    inherit system;
    packages = config.environment.systemPackages ++ [ nixosVersionPackage ];
  };

  activate = writeText { name = "activate"; inherit system; text = builtins.readFile ./activate.sh; };
  switch = writeText { name = "switch-to-configuration"; inherit system; text = builtins.readFile ./switch-to-configuration.sh; };

  toplevel = runCommand {
    name = "nixos-system-${config.networking.hostName}-${cfg.nixos.version}";
    inherit system;
    env = {
      kernelParams = concatStringsSep " " config.boot.kernelParams;
      inherit revision;
    };
    script = ''
      phase installPhase
      mkdir -p "$out/bin"
      ln -s ${kernel}/bzImage "$out/kernel"
      ln -s ${kernel}/lib/modules "$out/kernel-modules"
      ln -s ${initrd}/initrd "$out/initrd"
      ln -s ${etc}/etc "$out/etc"
      ln -s ${path} "$out/sw"
      ln -s ${pkgs.systemd} "$out/systemd"
      printf '%s' "init=$out/init $kernelParams" > "$out/kernel-params"
      printf '%s' ${escapeShellArg cfg.nixos.version} > "$out/nixos-version"
      printf '%s' "$revision" > "$out/configuration-revision"
      printf '%s' ${escapeShellArg system} > "$out/system"
      sed "s|@out@|$out|g" ${activate} > "$out/activate"
      sed "s|@out@|$out|g" ${switch} > "$out/bin/switch-to-configuration"
      printf '#!/bin/sh\nexec %s/lib/systemd/systemd "$@"\n' ${pkgs.systemd} > "$out/init"
      chmod 0555 "$out/activate" "$out/bin/switch-to-configuration" "$out/init"
      echo "built the system configuration of ${config.networking.hostName}"
    '';
  };
in
{
  config.system.build = {
    inherit kernel initrd etc path;
    toplevel = builtins.seq checked toplevel;
  };
}
