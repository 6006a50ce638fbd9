# Derivation builders that need nothing but this machine's /bin/sh and coreutils.
# Every derivation is a plain `derivation` (so it works on Nix 2.8 and current Nix) whose
# builder is /bin/sh, with PATH=/usr/bin:/bin so only the host's coreutils are used.
let
  inherit (builtins) concatStringsSep replaceStrings attrNames map;

  escapeShellArg = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] (toString s) + "'";

  # Shell functions every builder starts with. `phase` reports the phase to Nix the way
  # stdenv does (an "@nix" JSON line on NIX_LOG_FD), so `--log-format internal-json`
  # shows setPhase results exactly as for a nixpkgs build.
  prelude = ''
    set -e
    phase() {
      echo "@nix { \"action\": \"setPhase\", \"phase\": \"$1\" }" >&"''${NIX_LOG_FD:-2}"
      echo "Running phase: $1"
    }
  '';

  /* A derivation built by running `script` with /bin/sh -e. */
  runCommand = { name, system, script, env ? { } }:
    derivation ({
      inherit name system;
      builder = "/bin/sh";
      args = [ "-c" (prelude + script) ];
      PATH = "/usr/bin:/bin";
      # The builder uses the machine's /bin/sh and coreutils, which a sandbox hides: this
      # lets `sandbox = relaxed` build it and makes `sandbox = true` say why it cannot.
      __noChroot = true;
    } // env);

  /* A store path holding one file with the given text (references allowed). */
  writeText = { name, system, text, executable ? false }:
    runCommand {
      inherit name system;
      env = { inherit text; passAsFile = [ "text" ]; };
      script = ''
        cp "$textPath" "$out"
        ${if executable then "chmod 0555 \"$out\"" else ""}
      '';
    };

  /* A /bin/sh script in the store. */
  writeScript = { name, system, text }:
    writeText { inherit name system; executable = true; text = "#!/bin/sh\n" + text; };

  /* One directory holding links to the bin/, share/ and etc/ of the given packages
     (what nixpkgs' buildEnv does for system-path and home-path). */
  linkPackages = { name, system, packages, extra ? "" }:
    runCommand {
      inherit name system;
      script = ''
        phase installPhase
        mkdir -p "$out/bin" "$out/share"
        for pkg in ${concatStringsSep " " (map escapeShellArg packages)}; do
          for dir in bin share etc; do
            [ -d "$pkg/$dir" ] || continue
            for f in "$pkg/$dir"/*; do
              [ -e "$f" ] || continue
              base=''${f##*/}
              mkdir -p "$out/$dir"
              # The first package wins on a collision, like buildEnv with ignoreCollisions.
              [ -e "$out/$dir/$base" ] || ln -s "$f" "$out/$dir/$base"
            done
          done
        done
        ${extra}
        echo "linked ${toString (builtins.length packages)} packages into $out"
      '';
    };

  /* A directory tree of text files: files = { "relative/path" = "text"; }. */
  writeTree = { name, system, files }:
    let
      paths = attrNames files;
      indexed = builtins.genList (i: { inherit i; path = builtins.elemAt paths i; }) (builtins.length paths);
      envOf = builtins.listToAttrs (map (e: { name = "file${toString e.i}"; value = files.${e.path}; }) indexed);
    in
    runCommand {
      inherit name system;
      env = envOf // { passAsFile = attrNames envOf; };
      script = ''
        phase installPhase
        mkdir -p "$out"
        ${concatStringsSep "\n" (map (e: ''
          mkdir -p "$out/$(dirname ${escapeShellArg e.path})"
          cp "$file${toString e.i}Path" "$out/"${escapeShellArg e.path}
          echo "  writing "${escapeShellArg e.path}
        '') indexed)}
      '';
    };
in
{
  inherit escapeShellArg runCommand writeText writeScript linkPackages writeTree;
}
