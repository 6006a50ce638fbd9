{
  description = "Example homelab: four NixOS hosts, a Home Manager home and a Nix-on-Droid phone (offline stand-in, no nixpkgs)";

  # No inputs: the module system, package set and builders live in ./lib and use only
  # builtins and this machine's /bin/sh, so the homelab evaluates and builds offline.
  inputs = { };

  outputs = { self }:
    let
      lib = import ./lib;
      # What `nixos-version --json` reports as configurationRevision.
      revision = self.rev or self.dirtyRev or "dirty";
      homelab = lib.homelab {
        root = ./.;
        inherit revision;
        overlays = [ self.overlays.default ];
      };
      localPackages = system: builtins.removeAttrs (homelab.mkPkgs system { })
        (builtins.attrNames ((import ./lib/pins.nix).packages) ++ [ "mkPackage" "mkKernel" "withVersion" "system" ]);
      importAll = dir: builtins.mapAttrs (_: import) (lib.discover dir);
    in
    {
      inherit (homelab) nixosConfigurations homeConfigurations nixOnDroidConfigurations;

      nixosModules = importAll ./modules/nixos;
      homeModules = importAll ./modules/home;
      nixOnDroidModules = importAll ./modules/droid;

      overlays.default = import ./overlays;

      # The homelab's own packages (pkgs/), as every configuration sees them.
      packages.x86_64-linux = localPackages "x86_64-linux";

      templates = {
        host = {
          path = ./templates/host;
          description = "A new NixOS host: systems/<host>/default.nix and meta.json";
        };
        home = {
          path = ./templates/home;
          description = "A new Home Manager home: homes/<user>/default.nix";
        };
        droid = {
          path = ./templates/droid;
          description = "A new Nix-on-Droid phone: droids/<name>/default.nix and meta.json";
        };
        default = self.templates.host;
      };

      lib = { inherit (lib) discover readMeta; };

      checks.x86_64-linux.layout = import ./lib/check-layout.nix {
        inherit lib;
        root = ./.;
        configurations = homelab;
      };
    };
}
