# Builds every configuration of the checkout from its directories:
#   systems/<host>            -> nixosConfigurations.<host>
#   homes/<user> (+ @global)  -> homeConfigurations.<user>
#   homes/<user>@<host>       -> home-manager.users.<user> of system <host>
#   droids/<name>             -> nixOnDroidConfigurations.<name> (with homes/<name>[@droid])
#   modules/{nixos,home,droid}/* are imported into every configuration of their kind.
{ lib, root, revision, overlays ? [ ] }:
let
  inherit (builtins) attrNames concatMap filter listToAttrs map mapAttrs match head elemAt;
  inherit (lib) discover readMeta defaults;

  systemDirs = discover (root + "/systems");
  homeDirs = discover (root + "/homes");
  droidDirs = discover (root + "/droids");
  moduleList = kind: builtins.attrValues (discover (root + "/modules/${kind}"));

  # "soriphoono@zephyrus" -> { user = "soriphoono"; scope = "zephyrus"; }
  splitHome = name:
    let m = match "([^@]+)@(.+)" name; in
    if m == null then { user = name; scope = null; } else { user = head m; scope = elemAt m 1; };
  homeFor = user: scope: homeDirs."${user}@${scope}" or null;
  baseUsers = filter (n: (splitHome n).scope == null) (attrNames homeDirs);
  optionalPath = p: if p == null then [ ] else [ p ];

  mkPkgs = system: versions: import ./pkgs.nix { build = lib.build; inherit system versions overlays; };

  # The lib modules see: the module system plus evalHome (for homes inside systems/droids).
  moduleLib = lib // { inherit evalHome; };

  /* Evaluate a home: { activationPackage, config, options }. */
  evalHome = { system, userName, homeDirectory, versions ? { }, modules }:
    let
      result = lib.evalModules {
        modules = [ ./home/home.nix ] ++ moduleList "home" ++ [
          { home.username = lib.mkDefault userName; home.homeDirectory = lib.mkDefault homeDirectory; }
        ] ++ modules;
        specialArgs = {
          lib = moduleLib;
          pkgs = mkPkgs system (versions // result.config.nixpkgs.versions);
          name = userName;
        };
      };
    in
    result // { inherit (result.config.home) activationPackage; };

  mkSystem = host: path:
    let
      meta = readMeta defaults.system path;
      homes = listToAttrs (concatMap (user:
        let extra = homeFor user host; in
        if extra == null then [ ] else [ { name = user; value = [ homeDirs.${user} extra ]; } ]) baseUsers);
      result = lib.evalModules {
        modules = [ ./nixos/system.nix ./nixos/programs.nix ./nixos/home-manager.nix ./nixos/secrets.nix ./nixos/hardware.nix ./nixos/disko.nix ./nixos/toplevel.nix ]
          ++ moduleList "nixos" ++ [
            {
              nixpkgs.hostPlatform = meta.system;
              system.configurationRevision = revision;
              home-manager.users = homes;
            }
            path
          ];
        specialArgs = {
          lib = moduleLib;
          pkgs = mkPkgs meta.system result.config.nixpkgs.versions;
          name = host;
          inherit meta;
        };
      };
    in
    result // { inherit meta; inherit (result.config.nixpkgs) hostPlatform; };

  mkStandaloneHome = user:
    let
      global = homeFor user "global";
      meta = readMeta defaults.system (if global == null then homeDirs.${user} else global);
    in
    evalHome {
      inherit (meta) system;
      userName = user;
      homeDirectory = "/home/${user}";
      modules = [ homeDirs.${user} ] ++ optionalPath global;
    } // { inherit meta; };

  mkDroid = name: path:
    let
      meta = readMeta defaults.droidSystem path;
      homeModules = if homeDirs ? ${name} then [ homeDirs.${name} ] ++ optionalPath (homeFor name "droid") else [ ];
      result = lib.evalModules {
        modules = [ ./droid/droid.nix ] ++ moduleList "droid" ++ [
          { home-manager.config = homeModules; }
          path
        ];
        specialArgs = {
          lib = moduleLib;
          pkgs = mkPkgs meta.system result.config.nixpkgs.versions;
          inherit name meta;
        };
      };
    in
    result // { inherit meta; inherit (result.config.build) activationPackage; };
in
{
  nixosConfigurations = mapAttrs mkSystem systemDirs;
  homeConfigurations = listToAttrs (map (user: { name = user; value = mkStandaloneHome user; }) baseUsers);
  nixOnDroidConfigurations = mapAttrs mkDroid droidDirs;
  inherit evalHome mkPkgs;
}
