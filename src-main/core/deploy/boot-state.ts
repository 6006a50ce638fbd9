/**
 * "Needs a reboot", as NixOS itself decides it (system.autoUpgrade's allowReboot, nixos-rebuild):
 * the kernel, initrd or kernel modules the host booted (/run/booted-system) are not the ones of
 * the system it runs now (/run/current-system), or of its boot default (the system profile,
 * after a `boot` deploy). Compared by link target, as NixOS does (`readlink`, not contents).
 */

/** The parts of a system that only a reboot changes. */
export const bootParts = ['kernel', 'initrd', 'kernel-modules'] as const;
export type BootPart = (typeof bootParts)[number];

/**
 * A shell function: what a link to a directory resolves to (every link followed) in $res, ""
 * when it does not exist; cd -P in the calling shell for a directory (no process: each one
 * started costs on a busy host), readlink -f for anything else. Part of every script that uses
 * bootStateLines.
 */
export const resolveHelper = `
resolve() {
  res=""; [ -e "$1" ] || return 0
  if [ -d "$1" ] && cd -P -- "$1" 2>/dev/null; then res=$PWD; cd "$OLDPWD" 2>/dev/null || cd /; else res=$(readlink -f "$1"); fi
}
`;

/**
 * Shell lines for the probe and activation scripts (kind in $kind, profile in $profile; the
 * scripts' resolve helper): print
 * `booted=<path>`, `reboot-current=<parts>` and `reboot-default=<parts>`, the parts (space
 * separated) that differ between the booted system and the current one / the boot default.
 */
export const bootStateLines = `
if [ "$kind" = system ] && [ -e /run/booted-system ]; then
  resolve /run/booted-system; echo "booted=$res"
  rc=""; rd=""
  # One readlink for the nine links when all are there (the usual case; each readlink is a
  # process on the host), else one per link. The links become the function's $1...: the
  # script's own arguments stay as they are; no globbing of store path names.
  boot_parts_differ() {
    for f in ${bootParts.join(' ')}; do [ "$1" = "$2" ] || rc="$rc $f"; [ "$1" = "$3" ] || rd="$rd $f"; shift 3; done
  }
  if [ -e "$profile" ] && links=$(readlink ${bootParts.map((p) => `/run/booted-system/${p} /run/current-system/${p} "$profile/${p}"`).join(' ')} 2>/dev/null); then
    set -f; boot_parts_differ $links; set +f
  else
    for f in ${bootParts.join(' ')}; do
      b=$(readlink /run/booted-system/$f)
      [ "$b" = "$(readlink /run/current-system/$f)" ] || rc="$rc $f"
      [ ! -e "$profile" ] || [ "$b" = "$(readlink "$profile/$f")" ] || rd="$rd $f"
    done
  fi
  echo "reboot-current=$rc"; echo "reboot-default=$rd"
fi
`;

/** What the host's boot state says. */
export interface BootState {
  readonly bootedSystem?: string;
  readonly needsReboot?: boolean;
  /** Why, in words: "kernel, initrd changed", "the boot default has another kernel-modules". */
  readonly rebootReasons?: readonly string[];
}

function parts(text: string | undefined): BootPart[] {
  return (text ?? '')
    .split(/\s+/)
    .filter((p): p is BootPart => (bootParts as readonly string[]).includes(p));
}

/** Read the probe's boot lines; nothing is known when the host has no /run/booted-system. */
export function bootStateOf(facts: ReadonlyMap<string, string>): BootState {
  const booted = facts.get('booted');
  if (!booted) return {};
  const current = parts(facts.get('reboot-current'));
  const bootDefault = parts(facts.get('reboot-default')).filter((p) => !current.includes(p));
  const reasons = [
    ...(current.length > 0 ? [`the running system has a new ${current.join(', ')}`] : []),
    ...(bootDefault.length > 0 ? [`the boot default has a new ${bootDefault.join(', ')}`] : []),
  ];
  return { bootedSystem: booted, needsReboot: reasons.length > 0, ...(reasons.length > 0 ? { rebootReasons: reasons } : {}) };
}

/** The boot lines alone, for after a deploy. Args: the system profile. */
export const bootStateScript = `${resolveHelper}kind=system; profile=$1
${bootStateLines}`;
