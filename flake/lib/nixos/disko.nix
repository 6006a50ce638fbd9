# system.build.diskoScript: what disko's script does for this host's disko.devices, for the
# stand-in's layouts (GPT, filesystem partitions): wipe, partition (sgdisk), format
# (mkfs.vfat, mkfs.ext4), mount under /mnt. `fleet install` and nixos-anywhere run it on
# the target. A disk's device can be replaced at run time: --disk <name> <device>.
{ config, lib, pkgs, ... }:
let
  inherit (builtins) attrNames concatStringsSep concatMap filter genList length elemAt sort;
  inherit (lib.build) writeScript escapeShellArg;
  disks = config.disko.devices.disk or { };
  names = attrNames disks;
  indexed = genList (i: { index = i; name = elemAt names i; disk = disks.${elemAt names i}; }) (length names);
  var = d: "dev_${toString d.index}";
  # "$dev_0": the shell variable holding a disk's device, quoted.
  ref = d: "\"\$" + var d + "\"";
  partsOf = d: let p = d.disk.content.partitions or { }; in
    genList (i: { number = i + 1; name = elemAt (attrNames p) i; part = p.${elemAt (attrNames p) i}; }) (length (attrNames p));
  sizeArg = size: if size == "100%" then "0" else "+${size}";
  typeCode = part: part.type or "8300";

  partition = d: concatStringsSep "\n" ([
    ''echo "disko: partitioning ${d.name} (${ref d})"''
    ''[ -b ${ref d} ] || { echo "disko: ${ref d} is not a block device" >&2; exit 1; }''
    ''sgdisk --zap-all ${ref d} >/dev/null''
  ] ++ map (p: ''sgdisk -n${toString p.number}:0:${sizeArg (p.part.size or "100%")} -t${toString p.number}:${typeCode p.part} -c${toString p.number}:${escapeShellArg "disk-${d.name}-${p.name}"} ${ref d} >/dev/null'') (partsOf d)
    ++ [ ''partprobe ${ref d} 2>/dev/null || true'' ]);

  format = d: concatStringsSep "\n" (concatMap (p:
    let c = p.part.content or { }; in
    if (c.type or null) != "filesystem" then [ ] else [
      ''p=$(part ${ref d} ${toString p.number})''
      (if c.format == "vfat" then ''mkfs.vfat -n ${escapeShellArg p.name} "$p" >/dev/null''
       else ''mkfs.${c.format} -F -q -L ${escapeShellArg p.name} "$p"'')
      ''echo "disko: ${c.format} on $p (${p.name})"''
    ]) (partsOf d));

  mounts = sort (a: b: a.mountpoint < b.mountpoint) (concatMap (d: concatMap (p:
    let c = p.part.content or { }; in
    if (c.type or null) == "filesystem" && c ? mountpoint then [ { inherit d p; inherit (c) mountpoint format; options = c.mountOptions or [ "defaults" ]; } ] else [ ]) (partsOf d)) indexed);
  mount = m: concatStringsSep "\n" [
    ''mkdir -p ${escapeShellArg "/mnt${m.mountpoint}"}''
    # mount(8), as disko does: a filesystem the machine cannot mount is an error. (The test
    # lab's kernel has no vfat; its installer host mounts vfat through an emulation.)
    ''mount -t ${m.format} -o ${escapeShellArg (concatStringsSep "," m.options)} "$(part ${ref m.d} ${toString m.p.number})" ${escapeShellArg "/mnt${m.mountpoint}"}''
    ''echo "disko: mounted ${m.mountpoint} (${m.format})"''
  ];

  script = writeScript {
    name = "disko-${config.networking.hostName}";
    inherit (pkgs) system;
    text = ''
      # disko (stand-in) for ${config.networking.hostName}: partition, format and mount under /mnt.
      # Usage: disko [--disk NAME DEVICE]...
      set -eu
      PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
      ${concatStringsSep "\n" (map (d: "${var d}=${escapeShellArg (d.disk.device or "")}") indexed)}
      while [ $# -gt 0 ]; do
        case "$1" in
          --disk)
            [ $# -ge 3 ] || { echo "disko: --disk needs a name and a device" >&2; exit 2; }
            case "$2" in
              ${concatStringsSep "\n" (map (d: "${escapeShellArg d.name}) ${var d}=$3 ;;") indexed)}
              *) echo "disko: no disk named $2 (disks: ${concatStringsSep " " names})" >&2; exit 2 ;;
            esac
            shift 3 ;;
          *) echo "disko: unknown argument $1" >&2; exit 2 ;;
        esac
      done
      # No udev on every installer: a partition's node is made from /sys when it is missing.
      # The kernel's partitions are those of the disk node's major:minor (/sys/dev/block),
      # whatever the kernel calls the disk; the node is named after the disk (/dev/vda1,
      # /dev/nvme0n1p1), as udev names it.
      devnum() { n=$(stat -L -c '%t %T' "$1") && printf '%d:%d' "0x''${n% *}" "0x''${n#* }"; }
      part() {
        case "$1" in *[0-9]) p=$1p$2 ;; *) p=$1$2 ;; esac
        s=""
        i=0
        while [ -z "$s" ] && [ $i -lt 100 ]; do
          for n in /sys/dev/block/"$(devnum "$1")"/*/partition; do
            [ -e "$n" ] && [ "$(cat "$n")" = "$2" ] && s=''${n%/partition}/dev
          done
          [ -n "$s" ] || { sleep 0.1; i=$((i + 1)); }
        done
        [ -n "$s" ] || { echo "disko: partition $2 of $1 did not appear" >&2; exit 1; }
        want=$(cat "$s")
        if [ ! -b "$p" ] || [ "$(devnum "$p")" != "$want" ]; then rm -f "$p"; mknod "$p" b "''${want%:*}" "''${want#*:}"; fi
        echo "$p"
      }
      ${concatStringsSep "\n" (map partition indexed)}
      ${concatStringsSep "\n" (map format indexed)}
      ${concatStringsSep "\n" (map mount mounts)}
      echo "disko: done"
    '';
  };
in
{
  config.system.build.diskoScript = if names == [ ] then null else script;
}
