# The homelab's library: the discovery rules of the layout (discover, readMeta), the
# module system, the /bin/sh builders and the configuration builders used by flake.nix.
let
  inherit (builtins) attrNames filter listToAttrs map pathExists readDir stringLength substring
    fromJSON readFile isString;

  hasSuffix = suffix: s:
    let n = stringLength s; k = stringLength suffix; in
    n >= k && substring (n - k) k s == suffix;
  removeSuffix = suffix: s:
    if hasSuffix suffix s then substring 0 (stringLength s - stringLength suffix) s else s;

  /* The configurations in a directory, as { name = path; }.
     An entry counts when it is a subdirectory holding default.nix, or a regular *.nix
     file other than default.nix; its name is the entry's name without ".nix".
     A missing directory has no configurations. */
  discover = dir:
    let
      entries = if pathExists dir then readDir dir else { };
      counts = name: type:
        (type == "directory" && pathExists (dir + "/${name}/default.nix"))
        || (type == "regular" && name != "default.nix" && hasSuffix ".nix" name);
    in
    listToAttrs (map (name: { name = removeSuffix ".nix" name; value = dir + "/${name}"; })
      (filter (name: counts name entries.${name}) (attrNames entries)));

  /* The meta.json beside a configuration (inside its directory), with defaults:
     { system = defaultSystem; } plus whatever the file holds (e.g. deploy = { tags = [ ]; }).
     A configuration without meta.json (or a single-file one) gets the defaults. */
  readMeta = defaultSystem: path:
    let
      file = path + "/meta.json";
      meta = if pathExists file then fromJSON (readFile file) else { };
      merged = { system = defaultSystem; } // meta;
    in
    if isString merged.system then merged
    else throw "${toString file}: \"system\" must be a string such as \"x86_64-linux\"";

  defaults = { system = "x86_64-linux"; droidSystem = "aarch64-linux"; };

  modules = import ./modules.nix;
  build = import ./build.nix;
in
modules // {
  inherit discover readMeta hasSuffix removeSuffix build defaults;

  /* All configurations of a homelab checkout: { nixosConfigurations, homeConfigurations,
     nixOnDroidConfigurations }. root is the flake's directory, revision its git revision. */
  homelab = args: import ./homelab.nix (args // { lib = modules // { inherit discover readMeta hasSuffix removeSuffix build defaults; }; });
}
