#!/bin/sh
# Home Manager activation (stand-in): links this generation's files into $HOME and records
# the generation under $HOME/.local/state/home-manager. It writes nothing outside $HOME.
# A file in the way stops activation, as in Home Manager, unless HOME_MANAGER_BACKUP_EXT
# is set (then the file is moved aside to <file>.<ext>).
set -e
PATH=/usr/bin:/bin
export PATH
generation=@out@

if [ -z "${HOME:-}" ] || [ "$HOME" = / ] || [ ! -d "$HOME" ]; then
  echo "error: HOME must name an existing home directory (it is '${HOME:-}')" >&2
  exit 1
fi
user=$(cat "$generation/username")
state="$HOME/.local/state/home-manager"
previous=""
[ -L "$state/current-generation" ] && previous=$(readlink "$state/current-generation")

echo "Starting Home Manager activation"
echo "Activating checkFilesChanged"
echo "Activating checkLinkTargets"
while IFS= read -r rel; do
  [ -n "$rel" ] || continue
  target="$HOME/$rel"
  if [ -e "$target" ] && [ ! -L "$target" ]; then
    if [ -n "${HOME_MANAGER_BACKUP_EXT:-}" ]; then
      echo "Existing file '$target' is in the way of '$generation/home-files/$rel', moving it to '$target.$HOME_MANAGER_BACKUP_EXT'"
      mv "$target" "$target.$HOME_MANAGER_BACKUP_EXT"
    else
      echo "Existing file '$target' is in the way of '$generation/home-files/$rel'" >&2
      echo "Please move the above files and try again or use HOME_MANAGER_BACKUP_EXT." >&2
      exit 1
    fi
  fi
done < "$generation/home-files.list"

echo "Activating writeBoundary"
echo "Activating linkGeneration"
if [ -n "$previous" ] && [ -f "$previous/home-files.list" ]; then
  # Links of the previous generation that this one no longer has are cleaned up.
  while IFS= read -r rel; do
    [ -n "$rel" ] || continue
    grep -qxF "$rel" "$generation/home-files.list" && continue
    target="$HOME/$rel"
    case "$(readlink "$target" 2>/dev/null)" in
      "$previous"/home-files/*) echo "Cleaning up orphan link $target"; rm -f "$target" ;;
    esac
  done < "$previous/home-files.list"
fi
while IFS= read -r rel; do
  [ -n "$rel" ] || continue
  target="$HOME/$rel"
  mkdir -p "$(dirname "$target")"
  ln -sfn "$generation/home-files/$rel" "$target"
  echo "Creating link $target"
done < "$generation/home-files.list"

echo "Activating installPackages"
mkdir -p "$state"
ln -sfn "$generation/home-path" "$state/home-path"
echo "Creating new profile generation for $user"
ln -sfn "$generation" "$state/.current-generation.tmp"
mv -T "$state/.current-generation.tmp" "$state/current-generation"
echo "Activating onFilesChange"
echo "Home Manager activation of $user done"
