# `nix flake check` runs this: every configuration must evaluate (its derivation is
# instantiated, not built) and discovery must agree with the flake's own outputs.
{ lib, root, configurations }:
let
  inherit (builtins) attrNames concatStringsSep map mapAttrs unsafeDiscardStringContext;
  drv = d: unsafeDiscardStringContext d.drvPath;
  lines =
    map (h: "system ${h} ${configurations.nixosConfigurations.${h}.meta.system} ${drv configurations.nixosConfigurations.${h}.config.system.build.toplevel}")
      (attrNames configurations.nixosConfigurations)
    ++ map (u: "home ${u} ${drv configurations.homeConfigurations.${u}.activationPackage}")
      (attrNames configurations.homeConfigurations)
    ++ map (d: "droid ${d} ${configurations.nixOnDroidConfigurations.${d}.meta.system} ${drv configurations.nixOnDroidConfigurations.${d}.activationPackage}")
      (attrNames configurations.nixOnDroidConfigurations);
  discovered = attrNames (lib.discover (root + "/systems"));
in
assert discovered == attrNames configurations.nixosConfigurations;
lib.build.runCommand {
  name = "homelab-layout-check";
  system = "x86_64-linux";
  env.report = concatStringsSep "\n" lines + "\n";
  script = ''
    printf '%s' "$report"
    printf '%s' "$report" > "$out"
  '';
}
