# The package set a configuration sees as `pkgs`: one derivation per catalogue entry of
# pins.nix, named like the real package ("fish-3.7.1"), at the version the configuration
# asks for. Overlays (final: prev: { ... }) extend it like nixpkgs overlays.
{ build, system, versions ? { }, overlays ? [ ] }:
let
  inherit (builtins) concatStringsSep mapAttrs foldl' map;
  pins = import ./pins.nix;
  inherit (build) escapeShellArg runCommand;

  /* A package: bin/<name> scripts that report the version, a payload of `size` bytes
     under share/, and references to its runtime dependencies (real closure edges). */
  mkPackage = { pname, version, size ? 20000, bins ? [ pname ], deps ? [ ], description ? "${pname} (homelab stand-in)", buildLines ? 3 }:
    runCommand {
      name = "${pname}-${version}";
      inherit system;
      env = { inherit pname version; };
      script = ''
        phase unpackPhase
        echo "unpacking source archive ${pname}-${version}.tar.xz"
        phase configurePhase
        echo "configure flags: --prefix=$out"
        phase buildPhase
        i=1
        while [ "$i" -le ${toString buildLines} ]; do
          echo "  CC       src/${pname}-$i.o"
          i=$((i + 1))
        done
        phase installPhase
        mkdir -p "$out/bin" "$out/share/${pname}" "$out/nix-support"
        ${concatStringsSep "\n" (map (bin: ''
          cat > "$out/bin/${bin}" <<'EOF'
        #!/bin/sh
        # ${bin} of ${pname} ${version}, a homelab stand-in. Where the machine has the real
        # command it runs that, so a PATH with this package first still works.
        for real in /usr/bin/${bin} /bin/${bin} /usr/sbin/${bin} /sbin/${bin}; do
          [ -x "$real" ] && exec "$real" "$@"
        done
        case "$1" in
          --version|-V|version) echo "${bin} (${pname}) ${version}" ;;
          *) echo "${bin}: ${pname} ${version}, a homelab stand-in package" ;;
        esac
        EOF
          chmod 0555 "$out/bin/${bin}"
        '') bins)}
        echo ${escapeShellArg description} > "$out/share/${pname}/description"
        yes "${pname}-${version} payload" | head -c ${toString size} > "$out/share/${pname}/payload"
        printf '%s\n' ${concatStringsSep " " (map escapeShellArg deps)} > "$out/nix-support/runtime-deps"
        phase fixupPhase
        echo "shrinking RPATHs of ELF executables and libraries in $out"
      '';
    };

  /* The kernel: a bzImage and a modules tree, with a kernel-like build log. */
  mkKernel = { version, size }:
    runCommand {
      name = "linux-${version}";
      inherit system;
      env = { pname = "linux"; inherit version; };
      script = ''
        phase configurePhase
        echo "  HOSTCC  scripts/basic/fixdep"
        phase buildPhase
        for dir in kernel mm fs net drivers/net drivers/block; do
          for f in core fork sched; do echo "  CC      $dir/$f.o"; done
        done
        echo "Kernel: arch/x86/boot/bzImage is ready  (#1)"
        phase installPhase
        mkdir -p "$out/lib/modules/${version}/kernel"
        yes "linux-${version} bzImage" | head -c ${toString size} > "$out/bzImage"
        yes "linux-${version} modules" | head -c 400000 > "$out/lib/modules/${version}/kernel/modules.img"
        echo "${version}" > "$out/lib/modules/${version}/modules.order"
      '';
    };

  /* systemd: the stand-in service manager's systemctl (nixos/systemctl.sh), `reboot` and
     `poweroff` as on NixOS, and the package's payload. */
  mkSystemd = { version, size, deps }:
    runCommand {
      name = "systemd-${version}";
      inherit system;
      env = { pname = "systemd"; inherit version; systemctl = builtins.readFile ./nixos/systemctl.sh; passAsFile = [ "systemctl" ]; };
      script = ''
        phase installPhase
        mkdir -p "$out/bin" "$out/lib/systemd" "$out/share/systemd" "$out/nix-support"
        cp "$systemctlPath" "$out/bin/systemctl"
        printf '#!/bin/sh\nexec %s/bin/systemctl reboot\n' "$out" > "$out/bin/reboot"
        printf '#!/bin/sh\nexec %s/bin/systemctl poweroff\n' "$out" > "$out/bin/poweroff"
        printf '#!/bin/sh\necho "journalctl (systemd) ${version}, a homelab stand-in package"\n' > "$out/bin/journalctl"
        printf '#!/bin/sh\necho "systemd ${version}, a homelab stand-in package"\n' > "$out/lib/systemd/systemd"
        chmod 0555 "$out/bin/"* "$out/lib/systemd/systemd"
        yes "systemd-${version} payload" | head -c ${toString size} > "$out/share/systemd/payload"
        printf '%s\n' ${concatStringsSep " " (map escapeShellArg deps)} > "$out/nix-support/runtime-deps"
      '';
    };

  # Versions asked for by the configuration win over the catalogue.
  versionOf = name: versions.${name} or pins.packages.${name}.version;

  base = final: mapAttrs (name: spec:
    if name == "linux" then mkKernel { version = versionOf name; inherit (spec) size; }
    else if name == "systemd" then mkSystemd { version = versionOf name; inherit (spec) size; deps = map (d: final.${d}) spec.deps; }
    else mkPackage {
      pname = name;
      version = versionOf name;
      size = spec.size or 20000;
      bins = spec.bins or [ name ];
      deps = map (d: final.${d}) (spec.deps or [ ]);
    }) pins.packages;

  /* The same package at another version (its dependencies stay those of this set). */
  withVersion = name: version:
    if version == final.${name}.version then final.${name}
    else (import ./pkgs.nix { inherit build system overlays; versions = versions // { ${name} = version; }; }).${name};

  extend = prev: overlay: prev // overlay final prev;
  final = foldl' extend (base final // { inherit mkPackage mkKernel withVersion system; }) overlays;
in
final
