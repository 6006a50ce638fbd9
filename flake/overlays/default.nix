# The homelab's overlay: adds the packages under pkgs/ (discovered like configurations) to
# the package set every configuration uses.
final: prev:
builtins.mapAttrs (_name: path: import path { pkgs = final; }) ((import ../lib).discover ../pkgs)
