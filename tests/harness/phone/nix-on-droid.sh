#!/bin/bash
# nix-on-droid of the phone EMULATION (tests/harness/phone). Same commands, options and profile
# layout as the real tool (nix-community/nix-on-droid, nix-on-droid.sh): generations are
# /nix/var/nix/profiles/nix-on-droid-N-link, `switch` builds the activation package with a real
# nix build into the phone's store, records it as a new generation and runs its activate script.
# Extra nix options this machine needs: Debian's nix 2.8 builds aarch64-linux derivations of
# the example homelab (their builder is /bin/sh) with extra-platforms, and without a sandbox.
set -eu -o pipefail

PROFILE_DIRECTORY=/nix/var/nix/profiles/nix-on-droid
NIX_OPTIONS=(--extra-experimental-features 'nix-command flakes' --option extra-platforms aarch64-linux --option sandbox false --option build-users-group '')

errorEcho() { >&2 echo "$@"; }

nixActivationPackage() {
    local command="$1"
    local extraArgs=("${@:2}" "${PASSTHROUGH_OPTS[@]}")
    if [[ -n "${FLAKE_CONFIG_URI}" ]]; then
        extraArgs+=(--impure "${FLAKE_CONFIG_URI}.activationPackage")
    else
        errorEcho "The phone emulation supports flake configurations only (nix-on-droid switch --flake <path>#<device>)."
        exit 1
    fi
    nix "${NIX_OPTIONS[@]}" "${command}" "${extraArgs[@]}"
}

doHelp() {
    echo "Usage: $0 [OPTION] COMMAND"
    echo
    echo "Options"
    echo
    echo "  -h|--help         Print this help"
    echo "  -v|--verbose      Verbose output"
    echo "  -F|--flake FLAKE  Path to flake and device name (e.g. path/to/flake#device)"
    echo
    echo "Commands"
    echo
    echo "  generations     Show all generations"
    echo "  help            Print this help"
    echo "  rollback        Rollback and activate configuration"
    echo "  build           Build configuration"
    echo "  switch          Build and activate configuration"
    echo "  switch-generation NUM"
    echo "                  Switch generation and activate configuration"
}

activate() {
    local generationDir="$1"
    if [[ -x "${generationDir}/activate" ]]; then
        "${generationDir}/activate"
    fi
}

doSwitch() {
    echo "Building activation package..."
    nixActivationPackage build --no-link
    echo "Executing activation script..."
    local generationDir
    generationDir="$(nixActivationPackage path-info)"
    nix-env --profile "$PROFILE_DIRECTORY" --set "$generationDir"
    activate "$generationDir"
}

doSwitchGeneration() {
    local generationNum=$1
    if [[ -x "${PROFILE_DIRECTORY}-${generationNum}-link/activate" || -e "${PROFILE_DIRECTORY}-${generationNum}-link" ]]; then
        echo "Executing activation script..."
        nix-env --profile "$PROFILE_DIRECTORY" --switch-generation "$generationNum" >/dev/null
        activate "$(readlink -f "${PROFILE_DIRECTORY}-${generationNum}-link")"
    else
        errorEcho "Activation was not successful, generation is either broken or already garbage collected."
        errorEcho "See nix-on-droid generations for available generations."
        exit 1
    fi
}

COMMAND=
COMMAND_ARGS=()
FLAKE_CONFIG_URI=
PASSTHROUGH_OPTS=()

while [[ $# -gt 0 ]]; do
    opt="$1"
    shift
    case $opt in
        build|generations|help|rollback|switch|switch-generation)
            COMMAND="$opt"
            ;;
        -F|--flake)
            FLAKE_CONFIG_URI="${1%#*}#nixOnDroidConfigurations.${1#*#}"
            shift
            ;;
        -h|--help)
            doHelp
            exit 0
            ;;
        --option)
            PASSTHROUGH_OPTS+=("$opt" "$1" "$2")
            shift 2
            ;;
        --builders|--cores|--max-jobs)
            PASSTHROUGH_OPTS+=("$opt" "$1")
            shift
            ;;
        --keep-failed|--keep-going|--show-trace)
            PASSTHROUGH_OPTS+=("$opt")
            ;;
        -v|--verbose)
            PASSTHROUGH_OPTS+=(--show-trace)
            ;;
        *)
            if [[ $COMMAND == switch-generation ]]; then
                COMMAND_ARGS+=("$opt")
            else
                errorEcho "$0: unknown option '$opt'"
                errorEcho "Run '$0 --help' for usage help"
                exit 1
            fi
            ;;
    esac
done

if [[ -z $COMMAND ]]; then
    doHelp >&2
    exit 1
fi

case $COMMAND in
    build)
        echo "Building activation package..."
        nixActivationPackage build
        ;;
    generations)
        nix-env --profile "$PROFILE_DIRECTORY" --list-generations
        ;;
    help)
        doHelp
        ;;
    rollback)
        if [[ $(readlink "$PROFILE_DIRECTORY") =~ ^nix-on-droid-([0-9]+)-link$ ]]; then
            doSwitchGeneration $((BASH_REMATCH[1] - 1))
        else
            errorEcho "nix-on-droid profile link is broken, please run nix-on-droid switch to fix it."
            exit 1
        fi
        ;;
    switch)
        doSwitch
        ;;
    switch-generation)
        if [[ ${#COMMAND_ARGS[@]} -eq 1 ]]; then
            doSwitchGeneration "${COMMAND_ARGS[0]}"
        else
            errorEcho "switch-generation expects one argument, got ${#COMMAND_ARGS[@]}."
            exit 1
        fi
        ;;
esac
