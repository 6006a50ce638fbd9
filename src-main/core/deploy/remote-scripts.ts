/**
 * The shell scripts a deploy runs on a host. They are constants of this code base: data
 * (store paths, modes, ids) only ever reaches them as quoted positional arguments, never
 * spliced into their text. State of one deploy lives in <base>/deploys/<id>/ on the host
 * (base: /run/homelab-fleet for systems, ~/.cache/homelab-fleet for homes and phones), so the detached
 * activation, the watchdog and a later connection all read the same files.
 */

import { bootStateLines, resolveHelper } from './boot-state';
import { systemctlPath } from './checks';

/**
 * The generation number of a profile link (profile -> profile-N-link) in $gen ("" for none).
 * The generation links are compared with the profile by the shell's test -ef (same file once
 * resolved: no process); readlink runs only when that cannot tell, because two generations
 * hold the same path (a deploy again after a rollback) or the profile's target is missing. A
 * deploy asks three times per host; each readlink was a process on the host.
 */
export const genOfHelper = `gen_of() {
  gen=""
  [ -L "$1" ] || return 0
  if [ -e "$1" ]; then
    found=0
    for l in "$1"-*-link; do
      g=\${l#"$1"-}; g=\${g%-link}
      case "$g" in ''|*[!0-9]*) continue ;; esac
      [ "$l" -ef "$1" ] || continue
      found=$((found + 1)); gen=$g
    done
    [ "$found" -eq 1 ] && return 0
    gen=""
  fi
  l=$(readlink "$1" 2>/dev/null) || return 0
  case "$l" in *-link) ;; *) return 0 ;; esac
  l=\${l%-link}; l=\${l##*-}
  case "$l" in ''|*[!0-9]*) ;; *) gen=$l ;; esac
}
`;

/**
 * Shared helpers: where state lives and which profile a home uses. Helpers that answer set a
 * variable instead of printing into $(...): each $(...) is a process, and on a busy host
 * (20 deploys at once) every process started there costs.
 */
const prelude = `
# Where a kind's deploy state lives, in $base.
base_of() { if [ "$1" = system ]; then base=/run/homelab-fleet; else base="$HOME/.cache/homelab-fleet"; fi; }
home_profile() {
  u=$(id -un)
  if [ -d "/nix/var/nix/profiles/per-user/$u" ] && [ -w "/nix/var/nix/profiles/per-user/$u" ]; then echo "/nix/var/nix/profiles/per-user/$u/home-manager"
  else echo "$HOME/.local/state/nix/profiles/home-manager"; fi
}
${resolveHelper}# This shell's effective uid in $uid: from /proc, no process (id -u where there is none).
uid_of() {
  uid=""; while read -r k r e _; do [ "$k" = Uid: ] && { uid=$e; break; }; done 2>/dev/null < /proc/self/status
  [ -n "$uid" ] || uid=$(id -u)
}
${genOfHelper}
# The host's deploy lock is a directory (mkdir is atomic). Args: kind, owner (one line), stale
# owner ("" or the exact owner line that may be replaced). Prints "acquired" or "held <owner>".
take_lock() {
  base_of "$1"; l=$base/lock
  [ -d "$base" ] || mkdir -p -m 700 "$base" || return 90
  if mkdir "$l" 2>/dev/null; then printf '%s\\n' "$2" > "$l/owner"; echo acquired; return 0; fi
  owner=""; read -r owner 2>/dev/null < "$l/owner"
  if [ -n "$3" ] && [ "$owner" = "$3" ]; then printf '%s\\n' "$2" > "$l/owner"; echo acquired; return 0; fi
  echo "held $owner"
}
# Release the lock if this owner still holds it. Args: kind, owner.
drop_lock() {
  base_of "$1"; l=$base/lock; owner=""
  read -r owner 2>/dev/null < "$l/owner"
  [ "$owner" = "$2" ] && rm -rf "$l"
  return 0
}
`;

/**
 * The one decision of a deploy (confirmed or rollback), taken once by whoever comes first:
 * the app, the watchdog or a failed activation. The decision file is created with the shell's
 * noclobber (O_EXCL, atomic), so no process is started for it (mkdir was one on the host).
 * Args: state dir, what. Succeeds for the first caller only.
 */
const decideOnceHelper = `decide_once() {
  set -C
  { printf '%s\\n' "$2" > "$1/decision"; } 2>/dev/null; r=$?
  set +C
  return $r
}
`;

/** The "key=value" lines the probe script prints, as a map. */
export function keyValues(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

/**
 * What a host (or phone) is running, read in one round trip. Args: kind (system|home|droid),
 * profile ("" for a home's default), owner line ("" for none), details ("1": also the NixOS
 * version and whether the booted kernel differs, for the status view; a deploy's pre-flight
 * needs only which system booted, and saves a dozen processes per host). Prints "key=value" lines. With an owner, the lock is
 * taken in the same round trip when it can be without sudo (root, or a home):
 * "locked=acquired" or "locked=held <owner>".
 */
export const probeScript = `${prelude}
kind=$1; profile=$2
cur=""
if [ "$kind" = home ]; then profile=$(home_profile); resolve "$profile"; cur=$res
elif [ "$kind" = droid ]; then resolve "$profile"; cur=$res
else resolve /run/current-system; cur=$res; fi
echo "current=$cur"
[ "$kind" = system ] && [ -e "$profile" ] && resolve "$profile" && echo "profile=$res"
gen_of "$profile"; echo "generation=$gen"
if [ "$4" = 1 ] && [ "$kind" = system ] && [ -x /run/current-system/sw/bin/nixos-version ]; then
  echo "version=$(/run/current-system/sw/bin/nixos-version --json 2>/dev/null)"
fi
base_of "$kind"; lock=$base/lock
owner=""; [ -f "$lock/owner" ] && read -r owner < "$lock/owner" && echo "lock=$owner"
uid_of
echo "uid=$uid"
command -v nix-store >/dev/null 2>&1 && echo "nix=1" || echo "nix=0"
if [ "$4" = 1 ]; then${bootStateLines}elif [ "$kind" = system ] && [ -e /run/booted-system ]; then resolve /run/booted-system; echo "booted=$res"; fi
if [ -n "$3" ] && { [ "$uid" = 0 ] || [ "$kind" != system ]; }; then printf 'locked='; take_lock "$kind" "$3" "" || echo; fi
exit 0
`;

/** Take the host's deploy lock. Args: kind, owner, stale owner ("" or the owner line that may be replaced). */
export const lockScript = `${prelude}
take_lock "$1" "$2" "$3"
`;

/** Release the lock if this deploy still owns it. Args: kind, owner. */
export const unlockScript = `${prelude}
drop_lock "$1" "$2"
`;

/**
 * Runs detached (setsid or systemd-run) so a dropped SSH session cannot stop it half-way.
 * Args: state dir, rollback on failure (1|0), confirm timeout in seconds (0: no magic
 * rollback). Output goes to activation.log. Once the activation succeeded it starts the
 * watchdog, detached as itself (a systemd unit's leftover processes end with the unit).
 */
export const runnerScript = `${decideOnceHelper}
d=$1; rb=$2; t=$3
exec >>"$d/activation.log" 2>&1 </dev/null
read -r top < "$d/toplevel"; read -r mode < "$d/mode"; read -r kind < "$d/kind"
if [ "$kind" = home ]; then "$top/activate"; else "$top/bin/switch-to-configuration" "$mode"; fi
rc=$?
if [ $rc -eq 0 ]; then
  if [ "$t" -gt 0 ]; then
    if [ "$kind" = system ] && [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then
      systemd-run --quiet --collect --unit "homelab-fleet-watchdog-\${d##*/}" -- sh "$d/watchdog.sh" "$d" "$t"
    else
      # A background job of this shell is in its process group, so setsid needs no fork of its own.
      setsid sh "$d/watchdog.sh" "$d" "$t" </dev/null >/dev/null 2>&1 &
    fi
  fi
  echo ok > "$d/activation-status"; exit 0
fi
echo "activation failed (exit code $rc)"
if [ "$rb" = 1 ] && decide_once "$d" rollback; then
  sh "$d/rollback.sh" "$d"
fi
echo "failed $rc" > "$d/activation-status"
`;

/**
 * Magic rollback, on the host: started by the runner once the activation succeeded; rolls
 * back unless the app confirmed (over a new connection) within the timeout. One sleep, no
 * polling: the decision file (decide_once) makes confirm-or-rollback happen exactly once.
 * Args: state dir, timeout in seconds.
 */
export const watchdogScript = `${decideOnceHelper}
d=$1; t=$2
exec >>"$d/watchdog.log" 2>&1 </dev/null
sleep "$t"
if decide_once "$d" rollback; then
  echo "not confirmed within $t s: rolling back" >> "$d/activation.log"
  sh "$d/rollback.sh" "$d" >> "$d/activation.log" 2>&1
fi
`;

/** Go back to the generation before this deploy. Args: state dir. Writes result. */
export const rollbackScript = `
d=$1
mode=$(cat "$d/mode"); kind=$(cat "$d/kind"); profile=$(cat "$d/profile")
prev_gen=$(cat "$d/prev-generation"); prev_path=$(cat "$d/prev-path")
echo "rolling back to the previous generation \${prev_gen:-?}..."
if [ -z "$prev_path" ] || [ ! -e "$prev_path" ]; then
  echo "nothing to roll back to: this host had no earlier generation"
  echo none > "$d/result"; exit 1
fi
if [ "$kind" = home ] || [ "$mode" = switch ] || [ "$mode" = boot ]; then
  [ -z "$prev_gen" ] || nix-env -p "$profile" --switch-generation "$prev_gen"
fi
rc=0
if [ "$kind" = home ]; then "$prev_path/activate" || rc=$?
elif [ "$mode" = boot ]; then "$(readlink -f "$profile")/bin/switch-to-configuration" boot || rc=$?
elif [ "$mode" = test ]; then "$prev_path/bin/switch-to-configuration" test || rc=$?
else "$prev_path/bin/switch-to-configuration" switch || rc=$?
fi
if [ $rc -eq 0 ]; then echo "rolled-back \${prev_gen:-0}" > "$d/result"; echo "rolled back to generation \${prev_gen:-?}"
else echo "rollback-failed $rc" > "$d/result"; echo "rollback failed (exit code $rc)"; fi
`;

/**
 * Set the profile, start the activation detached (it starts the magic-rollback watchdog once
 * it succeeded), and stream its log until it ends: blocking waits, no polling. Args: kind,
 * deploy id, toplevel, mode, profile ("" for a home's), confirm timeout (0: no magic
 * rollback), rollback on failure (1|0), switch to generation ("" to --set the toplevel),
 * runner, watchdog and rollback scripts, and what else to report from this same exec (words:
 * "units-before", the failed units before the switch as "@fleet failed_before <line>" lines,
 * then "@fleet failed_before_end <0, or 1: cannot say>"; "boot-state", the boot state after a
 * successful activation as "@fleet boot <key>=<value>"): each would otherwise be an exec and a
 * remote shell of its own.
 * Machine-readable lines start with "@fleet ".
 */
export const activateScript = `${prelude}
kind=$1; id=$2; top=$3; mode=$4; profile=$5; timeout=$6; rb=$7; to_gen=$8; extras=" \${12} "
[ "$kind" = home ] && profile=$(home_profile)
base_of "$kind"; d=$base/deploys/$id
mkdir -p "$d" || { echo "@fleet status no-state-dir"; exit 90; }
printf '%s' "$9" > "$d/runner.sh"; printf '%s' "\${10}" > "$d/watchdog.sh"; printf '%s' "\${11}" > "$d/rollback.sh"
printf '%s\\n' "$top" > "$d/toplevel"; printf '%s\\n' "$mode" > "$d/mode"; printf '%s\\n' "$profile" > "$d/profile"; printf '%s\\n' "$kind" > "$d/kind"
gen_of "$profile"; prev_gen=$gen
if [ "$kind" = home ]; then resolve "$profile"; else resolve /run/current-system; fi; prev_path=$res
printf '%s\\n' "$prev_gen" > "$d/prev-generation"; printf '%s\\n' "$prev_path" > "$d/prev-path"
echo "@fleet previous \${prev_gen:-none}"
# The failed units as the health checks read them (checks.ts failedUnits), through a file: this
# shell sees systemctl's exit code and starts no process for the loop.
case "$extras" in *" units-before "*)
  if ${systemctlPath} list-units --state=failed --plain --no-legend --no-pager > "$d/failed-before" 2>/dev/null; then
    while IFS= read -r l; do echo "@fleet failed_before $l"; done < "$d/failed-before"; echo "@fleet failed_before_end 0"
  else echo "@fleet failed_before_end 1"; fi ;;
esac
set_profile=0
case "$mode" in switch|boot) set_profile=1 ;; esac
[ "$kind" = home ] && set_profile=1
if [ $set_profile = 1 ]; then
  [ -d "\${profile%/*}" ] || mkdir -p "\${profile%/*}"
  if [ -n "$to_gen" ]; then nix-env -p "$profile" --switch-generation "$to_gen" || { echo "@fleet status profile-failed"; exit 91; }
  else nix-env -p "$profile" --set "$top" || { echo "@fleet status profile-failed"; exit 91; }; fi
fi
gen_of "$profile"; echo "@fleet generation $gen"
[ "$timeout" -gt 0 ] && echo "@fleet watchdog $timeout"
: > "$d/activation.log"
# The runner is a child of this script (so wait can block on it), in a session of its own (so
# a dropped connection does not end it). With systemd, systemd-run --wait stands in for it.
if [ "$kind" = system ] && [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then
  systemd-run --quiet --collect --wait --unit "homelab-fleet-runner-$id" -- sh "$d/runner.sh" "$d" "$rb" "$timeout" </dev/null >/dev/null 2>&1 &
else
  setsid sh "$d/runner.sh" "$d" "$rb" "$timeout" </dev/null >/dev/null 2>&1 &
fi
pid=$!
# tail follows the log by inotify and, after the runner is gone, prints what is left and ends.
tail -n +1 -s 0.1 --pid="$pid" -f "$d/activation.log" &
tp=$!
wait "$pid"; wait "$tp"
st=unknown; read -r st 2>/dev/null < "$d/activation-status"
echo "@fleet status $st"
[ -s "$d/result" ] && read -r result < "$d/result" && echo "@fleet result $result"
if [ "$st" = ok ]; then
  case "$extras" in *" boot-state "*)
    { ${bootStateLines}} > "$d/boot-state"
    while IFS= read -r l; do echo "@fleet boot $l"; done < "$d/boot-state" ;;
  esac
fi
exit 0
`;

/**
 * After activation, from a NEW connection: confirm (keep the new generation) or roll back
 * (a cancelled deploy). Waits for the activation to end first. Args: kind, deploy id,
 * decision (confirmed|rollback), seconds to wait for the activation, and the lock owner
 * line ("" to keep the lock): once decided, the lock is released in the same round trip.
 * Prints "@fleet decision <what>", "@fleet status <...>", "@fleet result <...>" and
 * "@fleet unlocked".
 */
export const decideScript = `${prelude}${decideOnceHelper}
base_of "$1"; d=$base/deploys/$2
[ -d "$d" ] || { echo "@fleet decision missing"; exit 0; }
i=0; while [ ! -s "$d/activation-status" ] && [ $i -lt $(( $4 * 10 )) ]; do sleep 0.1; i=$((i+1)); done
st=""; read -r st 2>/dev/null < "$d/activation-status"
if { [ "$st" = ok ] || [ "$3" = rollback ]; } && [ -n "$st" ] && decide_once "$d" "$3"; then
  [ "$3" = rollback ] && sh "$d/rollback.sh" "$d" >> "$d/activation.log" 2>&1
fi
# Files are read with the shell's read, not $(cat ...): no process on the host for each.
what_of() { what=""; read -r what 2>/dev/null < "$d/decision"; }
what_of
i=0; while [ "$what" = rollback ] && [ ! -s "$d/result" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); what_of; done
echo "@fleet decision \${what:-none}"
echo "@fleet status \${st:-running}"
[ -s "$d/result" ] && read -r result < "$d/result" && echo "@fleet result $result"
if [ -n "$5" ] && [ -s "$d/decision" ]; then drop_lock "$1" "$5"; echo "@fleet unlocked"; fi
exit 0
`;

/**
 * The generations of a profile: "<number> <path> <mtime>" lines, then "current <number>".
 * Args: kind, profile ("" for a home's).
 */
export const generationsScript = `${prelude}
kind=$1; profile=$2
[ "$kind" = home ] && profile=$(home_profile)
for l in "$profile"-*-link; do
  [ -e "$l" ] || continue
  n=$(echo "$l" | sed -n 's/^.*-\\([0-9][0-9]*\\)-link$/\\1/p')
  [ -n "$n" ] && echo "$n $(readlink -f "$l") $(stat -c %Y "$l" 2>/dev/null || echo 0)"
done
gen_of "$profile"; echo "current $gen"
`;
