# sops-nix as a NixOS module (stand-in): sops.defaultSopsFile and sops.secrets.<name>.
# Like sops-nix, the encrypted file is copied into the store and listed in a manifest that
# activation reads; this stand-in never decrypts anything (no keys exist on the test hosts).
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.sops;
  names = builtins.attrNames cfg.secrets;
in
{
  options.sops = {
    defaultSopsFile = mkOption { type = types.nullOr types.path; default = null; };
    age.keyFile = mkOption { type = types.str; default = "/var/lib/sops-nix/key.txt"; };
    secrets = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      description = "Secrets to install under /run/secrets: { key ? name, sopsFile ? defaultSopsFile, owner ? \"root\" }.";
    };
  };

  config = lib.mkIf (names != [ ]) {
    environment.etc."sops-nix/manifest.json".text = builtins.toJSON {
      ageKeyFile = cfg.age.keyFile;
      secrets = map (name:
        let s = cfg.secrets.${name}; file = s.sopsFile or cfg.defaultSopsFile; in
        if file == null then throw "sops.secrets.\"${name}\": no sopsFile and no sops.defaultSopsFile"
        else {
          inherit name;
          key = s.key or name;
          sopsFile = "${file}";
          path = "/run/secrets/${name}";
          owner = s.owner or "root";
        }) names;
    };
  };
}
