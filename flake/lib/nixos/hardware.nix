# Hardware description files beside a host, as real homelabs keep them:
#   disko.nix   -> disko.devices (the disk layout) -> fileSystems -> /etc/fstab
#   facter.json -> hardware.facter.reportPath (nixos-facter's report) -> initrd modules
{ config, lib, ... }:
let
  inherit (lib) mkOption mkIf mkMerge types;
  inherit (builtins) attrNames attrValues concatMap concatStringsSep filter listToAttrs map;

  disks = config.disko.devices.disk or { };
  # disko's "filesystem" contents with a mountpoint become fileSystems entries.
  partitions = concatMap (disk:
    let parts = disks.${disk}.content.partitions or { }; in
    concatMap (part:
      let c = parts.${part}.content or { }; in
      if (c.type or null) == "filesystem" && c ? mountpoint then [ {
        name = c.mountpoint;
        value = { device = "/dev/disk/by-partlabel/disk-${disk}-${part}"; fsType = c.format; options = c.mountOptions or [ "defaults" ]; };
      } ] else [ ]) (attrNames parts)) (attrNames disks);

  report = if config.hardware.facter.reportPath == null then { }
    else builtins.fromJSON (builtins.readFile config.hardware.facter.reportPath);
  drivers = concatMap (devices: concatMap (d: if d ? driver_module then [ d.driver_module ] else [ ]) devices)
    (attrValues (report.hardware or { }));
  unique = list: attrNames (listToAttrs (map (x: { name = x; value = true; }) list));
in
{
  options = {
    disko.devices = mkOption { type = types.attrsOf types.anything; default = { }; description = "disko's disk layout."; };
    hardware.facter.reportPath = mkOption { type = types.nullOr types.path; default = null; description = "nixos-facter's facter.json."; };
  };

  config = mkMerge [
    { fileSystems = listToAttrs partitions; }
    (mkIf (config.hardware.facter.reportPath != null) {
      boot.initrd.availableKernelModules = unique drivers;
    })
    {
      environment.etc.fstab.text = concatStringsSep "" (map (mount:
        let fs = config.fileSystems.${mount}; in
        "${fs.device} ${mount} ${fs.fsType} ${concatStringsSep "," (fs.options or [ "defaults" ])} 0 ${if mount == "/" then "1" else "2"}\n")
        (attrNames config.fileSystems));
    }
  ];
}
