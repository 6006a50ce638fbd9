#!/bin/sh
# Nix-on-Droid activation (stand-in). Links the generation's /etc and packages under
# $FLEET_DROID_ROOT (default: $HOME/.nix-on-droid) and then activates the user's home.
# It writes nothing outside $HOME unless FLEET_DROID_ROOT points elsewhere.
set -e
PATH=/usr/bin:/bin
export PATH
generation=@out@

if [ -z "${HOME:-}" ] || [ "$HOME" = / ] || [ ! -d "$HOME" ]; then
  echo "error: HOME must name an existing home directory (it is '${HOME:-}')" >&2
  exit 1
fi
root=${FLEET_DROID_ROOT:-$HOME/.nix-on-droid}

echo "Activating Nix-on-Droid generation $generation"
mkdir -p "$root/etc"
echo "Setting up /etc..."
ln -sfn "$generation/etc" "$root/etc/.static.tmp"
mv -T "$root/etc/.static.tmp" "$root/etc/static"
for entry in "$generation"/etc/*; do
  name=${entry##*/}
  target="$root/etc/$name"
  case "$(readlink "$target" 2>/dev/null)" in
    "$root/etc/static/"*) ln -sfn "$root/etc/static/$name" "$target" ;;
    *) [ -e "$target" ] || [ -L "$target" ] || ln -s "$root/etc/static/$name" "$target" ;;
  esac
done
echo "Installing packages (nix-on-droid-path)..."
ln -sfn "$generation/nix-on-droid-path" "$root/.path.tmp"
mv -T "$root/.path.tmp" "$root/nix-on-droid-path"
ln -sfn "$generation" "$root/.generation.tmp"
mv -T "$root/.generation.tmp" "$root/current-generation"
if [ -e "$generation/home-manager-generation/activate" ]; then
  echo "Activating home-manager..."
  "$generation/home-manager-generation/activate"
fi
echo "Nix-on-Droid activation done"
