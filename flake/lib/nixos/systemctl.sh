#!/bin/sh
# systemctl of the stand-in systemd (same verbs, output and exit codes as systemd's for what
# the homelab uses). The machines running these systems have no systemd of their own, so unit
# state is kept under /run/systemd/stand-in/units/<unit>/:
#   recorded   the unit is only recorded as active (sshd, nix-daemon... that the machine runs
#              itself, and daemons whose stand-in package does nothing);
#   pid        the main process of a unit marked X-StandInRun=yes (its ExecStart really runs);
#   status     its exit code once it ended (0: inactive, else failed).
# A relocated root (FLEET_SYSTEM_ROOT, a test directory on a shared machine) never starts
# processes: every unit is only recorded there.
# `systemctl reboot|poweroff` hands the request to the machine's firmware stand-in: the file
# /run/systemd/stand-in/power, which a test host's power supervisor acts on.
set -u
PATH=/usr/bin:/bin
export PATH
root=${FLEET_SYSTEM_ROOT:-}
state="$root/run/systemd/stand-in"
units="$root/run/current-system/etc/systemd/system"

unit_name() { case "$1" in *.*) echo "$1" ;; *) echo "$1.service" ;; esac; }

# A unit's state in $ustate. Set, not printed into $(...), and files read with read: each
# $(...) and cat is a process, and systemd's own systemctl is one process for a whole listing.
unit_state() {
  d="$state/units/$1"
  if [ ! -d "$d" ]; then ustate=inactive; return; fi
  if [ -e "$d/recorded" ]; then ustate=active; return; fi
  if [ -s "$d/status" ]; then
    code=""; read -r code 2>/dev/null < "$d/status"
    if [ "$code" = 0 ]; then ustate=inactive; else ustate=failed; fi
    return
  fi
  pid=""; read -r pid 2>/dev/null < "$d/pid" || true
  if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then ustate=active; else ustate=failed; fi
}

unit_value() { sed -n "s/^$2=//p" "$units/$1" 2>/dev/null | head -n 1; }

start_unit() {
  u=$1
  if [ ! -e "$units/$u" ]; then echo "Failed to start $u: Unit $u not found." >&2; return 5; fi
  unit_state "$u"; [ "$ustate" = active ] && return 0
  d="$state/units/$u"
  rm -rf "$d"; mkdir -p "$d"
  if [ -n "$root" ] || [ "$(unit_value "$u" X-StandInRun)" != yes ]; then
    : > "$d/recorded"; return 0
  fi
  exec_start=$(unit_value "$u" ExecStart)
  # The wrapper is the unit's main process (its own session, so stop ends all of it) and
  # writes the exit code the way systemd records a service's result.
  ( setsid sh -c 'echo $$ > "$1/pid"; sh -c "$2"; echo $? > "$1/status.tmp"; mv "$1/status.tmp" "$1/status"' \
      unit "$d" "$exec_start" </dev/null >>"$d/log" 2>&1 & )
  i=0; while [ ! -s "$d/pid" ] && [ $i -lt 50 ]; do sleep 0.02; i=$((i+1)); done
  return 0
}

stop_unit() {
  d="$state/units/$1"
  pid=""; read -r pid 2>/dev/null < "$d/pid" || true
  if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
    kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    i=0; while [ -d "/proc/$pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
    kill -KILL "-$pid" 2>/dev/null || true
  fi
  rm -rf "$d"
}

need_root() {
  if [ "$(id -u)" != 0 ]; then echo "Failed to $1: Access denied" >&2; exit 1; fi
}

verb=""
for a in "$@"; do case "$a" in -*) ;; *) verb=$a; break ;; esac; done
[ -n "$verb" ] || verb=list-units
shift_to_args() { seen=0; for a in "$@"; do [ $seen = 1 ] && printf '%s\n' "$a"; [ "$a" = "$verb" ] && seen=1; done; }
args=$(shift_to_args "$@" | grep -v '^-' || true)

case "$verb" in
  --version|version) echo "systemd 255 (255.4) stand-in" ;;
  start|restart|stop)
    need_root "$verb"
    rc=0
    for a in $args; do
      u=$(unit_name "$a")
      case "$verb" in
        stop) stop_unit "$u" ;;
        restart) stop_unit "$u"; start_unit "$u" || rc=$? ;;
        start) start_unit "$u" || rc=$? ;;
      esac
    done
    exit $rc ;;
  is-active|is-failed)
    rc=3; [ "$verb" = is-failed ] && rc=1
    ok=1
    for a in $args; do
      unit_state "$(unit_name "$a")"; s=$ustate
      echo "$s"
      if [ "$verb" = is-active ]; then [ "$s" = active ] || ok=0; else [ "$s" = failed ] || ok=0; fi
    done
    [ $ok = 1 ] && exit 0; exit $rc ;;
  list-units)
    # Only --state=failed / --failed is asked for; listed as `--plain --no-legend` prints.
    for d in "$state"/units/*; do
      [ -d "$d" ] || continue
      u=${d##*/}
      unit_state "$u"; s=$ustate
      case " $* " in *" --failed "*|*"--state=failed"*) [ "$s" = failed ] || continue ;; esac
      sub=running; [ "$s" = failed ] && sub=failed; [ -e "$d/recorded" ] && sub=running
      echo "$u loaded $s $sub $(unit_value "$u" Description)"
    done ;;
  reset-failed)
    need_root reset-failed
    for d in "$state"/units/*; do [ -d "$d" ] && unit_state "${d##*/}" && [ "$ustate" = failed ] && rm -rf "$d"; done
    exit 0 ;;
  status)
    for a in $args; do
      u=$(unit_name "$a"); d="$state/units/$u"
      echo "* $u - $(unit_value "$u" Description)"
      unit_state "$u"; echo "     Active: $ustate"
      [ -s "$d/log" ] && tail -n 10 "$d/log" | sed 's/^/     /'
    done ;;
  reboot|poweroff)
    need_root "$verb"
    mkdir -p "$state"
    echo "$verb" > "$state/power.tmp" && mv "$state/power.tmp" "$state/power"
    exit 0 ;;
  *) echo "systemctl (stand-in): unknown command '$verb'" >&2; exit 1 ;;
esac
exit 0
