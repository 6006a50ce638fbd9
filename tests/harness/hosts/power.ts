import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HOST_DIR_TAG, processName, spawnInHost } from './host.js';
import type { HostRecord } from './records.js';
import { sleep } from './run.js';

/**
 * The test hosts' "hardware": a power supervisor inside each host that reboots it when the
 * system asks (the stand-in `systemctl reboot` writes /run/systemd/stand-in/power) or the test
 * presses the button (rebootHost). A reboot takes a few seconds like a small machine's:
 * services stop, every process of the host is killed and its link goes dark, /run is emptied
 * (a tmpfs), then the boot loader's default entry boots: /run/booted-system points at that
 * generation, its activation runs, its units start, and nix-daemon and sshd come back.
 * Faults: the next boot falls back to the previous generation, the host stays dark for N
 * seconds before it boots (comes back late), it never comes back (until powerOn), or the next
 * reboot request is ignored (the host never goes down).
 * Every step is a line "<epoch ms> <event>" in log/power.log.
 */

// Runs (in bash, for its read timeout) inside the host (its network, mount and UTS namespaces). Args: holder pid, host dir, the
// host's toolchain root ("" when it runs the machine's own sshd and nix).
// Only processes sharing BOTH the host's network and mount namespaces are ever killed.
const POWER_SCRIPT = `
holder=$1; dir=$2; toolchain=$3
log="$dir/log/power.log"; fault="$dir/power-fault"; power_on="$dir/power-on"
request=/run/systemd/stand-in/power
stamp() { echo "$(date +%s%3N) $*" >> "$log"; }
# Wait without starting a process: bash's read times out on a FIFO nobody writes to. A loop of
# \`sleep 0.2\` cost every host a fork and an exec five times a second (~30 ms of CPU a second
# per host on a busy 2-core machine: 0.6 of a core for a 20-host bench), which real hosts never pay.
tick="$dir/log/power-tick"
rm -f "$tick"; mkfifo "$tick" && exec 3<>"$tick" || exit 1
pause() { read -r -t "$1" -u 3 _tick || :; }
mynet=$(readlink /proc/$$/ns/net); mymnt=$(readlink /proc/$$/ns/mnt)
[ -n "$mynet" ] && [ -n "$mymnt" ] || exit 1
# Refuse to run anywhere but inside the host: its /run is the bind of its own run directory.
[ /run -ef "$dir/run" ] || { echo "not inside the host of $dir" >&2; exit 1; }
of_this_host() {
  [ "$1" != $$ ] && [ "$1" != "$holder" ] || return 1
  [ /proc/$1/ns/net -ef /proc/$$/ns/net ] || return 1
  [ "$(readlink /proc/$1/ns/net 2>/dev/null)" = "$mynet" ] && [ "$(readlink /proc/$1/ns/mnt 2>/dev/null)" = "$mymnt" ]
}
kill_all() {
  for p in /proc/[0-9]*; do p=\${p#/proc/}; if of_this_host "$p"; then kill -9 "$p" 2>/dev/null; fi; done
}
start_daemons() {
  # What tmpfiles makes at boot on NixOS: sshd's privilege separation directory.
  mkdir -p /run/sshd && chmod 0755 /run/sshd
  if [ -n "$toolchain" ]; then
    ( NIX_REMOTE= setsid chroot "$toolchain" nix-daemon >>"$dir/log/nix-daemon.log" 2>&1 </dev/null & )
    chroot "$toolchain" /usr/sbin/sshd -f /etc/ssh/sshd_config -E "$dir/log/sshd.log"
  else
    ( NIX_REMOTE= setsid nix-daemon >>"$dir/log/nix-daemon.log" 2>&1 </dev/null & )
    /usr/sbin/sshd -f /etc/ssh/sshd_config -E "$dir/log/sshd.log"
  fi
}
boot() {
  entry=$(sed -n 's/^default //p' /boot/loader/loader.conf 2>/dev/null)
  if [ "$(cat "$fault" 2>/dev/null)" = previous ]; then
    rm -f "$fault"
    n=$(echo "$entry" | sed -n 's/^nixos-generation-\\([0-9]*\\)\\.conf$/\\1/p')
    prev=$(ls /boot/loader/entries 2>/dev/null | sed -n 's/^nixos-generation-\\([0-9]*\\)\\.conf$/\\1/p' | sort -n | awk -v n="$n" '$1 < n' | tail -n 1)
    if [ -n "$prev" ]; then entry=nixos-generation-$prev.conf; stamp "fallback generation $prev (generation $n did not boot)"; fi
  fi
  system=$(sed -n 's/^system //p' "/boot/loader/entries/$entry" 2>/dev/null)
  if [ -n "$system" ] && [ -x "$system/activate" ]; then
    ln -sfn "$system" /run/booted-system
    stamp "booting $system"
    "$system/activate" >> "$dir/log/boot.log" 2>&1
    for unit in "$system"/etc/systemd/system/*.service; do
      [ -e "$unit" ] && "$system/sw/bin/systemctl" start "\${unit##*/}" >> "$dir/log/boot.log" 2>&1
    done
  fi
}
power_up() {
  rm -f "$power_on"
  ip link set eth0 up
  boot
  sleep 0.5
  start_daemons
  stamp up
}
stamp up
while :; do
  if [ -s "$request" ] && [ "$(cat "$fault" 2>/dev/null)" = ignore-reboot ]; then
    # A reboot that never starts (a unit blocking shutdown, a hung systemd): the host stays up as it was.
    rm -f "$fault" "$request"
    stamp "reboot ignored"
  elif [ -s "$request" ]; then
    what=$(cat "$request")
    stamp "shutting-down $what"
    sleep 1
    kill_all; kill_all
    ip link set eth0 down
    # /run is a tmpfs on NixOS: nothing in it survives a reboot.
    find /run -mindepth 1 -maxdepth 1 -exec rm -rf {} +
    stamp down
    late=$(sed -n 's/^late \\([0-9][0-9]*\\)$/\\1/p' "$fault" 2>/dev/null)
    if [ "$what" = poweroff ] || [ "$(cat "$fault" 2>/dev/null)" = never-returns ]; then
      rm -f "$fault"
      stamp off
      while [ ! -e "$power_on" ]; do pause 0.2; done
    elif [ -n "$late" ]; then
      # A slow boot (a long fsck, a firmware update): dark for that long, then it boots as usual.
      rm -f "$fault"
      stamp "dark $late s"
      sleep "$late"
    else
      sleep 1
    fi
    power_up
  fi
  pause 0.2
done
`;

/** Start the power supervisor of a host (once, right after the host started). */
export async function startPowerSupervisor(host: HostRecord): Promise<void> {
  const pid = spawnInHost(
    host,
    ['env', `${HOST_DIR_TAG}=${host.dir}`, '/bin/bash', '-c', POWER_SCRIPT, 'power', String(host.holderPid), host.dir, host.toolchain?.root ?? ''],
    path.join(host.dir, 'log/power-supervisor.log'),
  );
  await writeFile(path.join(host.dir, 'log/power.pid'), String(pid));
  for (let i = 0; i < 250 && (await powerEvents(host)).length === 0; i++) await sleep(20);
}

/** One line of a host's power log. */
export interface PowerEvent {
  readonly at: number;
  /** "up", "shutting-down reboot", "down", "off", "dark N s", "booting /nix/store/...", "fallback generation N (...)", "reboot ignored". */
  readonly event: string;
}

/** Everything the host's power supervisor did, oldest first. */
export async function powerEvents(host: HostRecord): Promise<readonly PowerEvent[]> {
  const text = await readFile(path.join(host.dir, 'log/power.log'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => /^(\d+) (.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ at: Number(m[1]), event: m[2]! }));
}

/** Where the host is now: up, on its way down or back, or off (never came back / powered off). */
export type PowerState = 'up' | 'rebooting' | 'off';

export async function powerState(host: HostRecord): Promise<PowerState> {
  const last = (await powerEvents(host)).at(-1)?.event ?? 'up';
  // An ignored reboot request leaves the host as it was: up.
  if (last === 'up' || last === 'reboot ignored') return 'up';
  if (last === 'off') return 'off';
  return 'rebooting';
}

/** Press the reset button: the host reboots as if `systemctl reboot` had been run in it. */
export async function rebootHost(host: HostRecord): Promise<void> {
  const dir = path.join(host.dir, 'run/systemd/stand-in');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'power.tmp'), 'reboot\n');
  await rename(path.join(dir, 'power.tmp'), path.join(dir, 'power'));
}

/** Fault: the next boot falls back to the generation before the boot default (a boot that fails over). */
export async function bootPreviousGenerationNextTime(host: HostRecord): Promise<void> {
  await writeFile(path.join(host.dir, 'power-fault'), 'previous\n');
}

/** Fault: the next reboot or power-off leaves the host dark until powerOn. */
export async function neverComeBack(host: HostRecord): Promise<void> {
  await writeFile(path.join(host.dir, 'power-fault'), 'never-returns\n');
}

/** Fault: the next reboot leaves the host dark for `seconds` after it went down, then it boots its default entry as usual. */
export async function comeBackLate(host: HostRecord, seconds: number): Promise<void> {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`comeBackLate: ${seconds} is not a whole number of seconds (1 or more)`);
  await writeFile(path.join(host.dir, 'power-fault'), `late ${seconds}\n`);
}

/** Fault: the next reboot request is ignored: the host stays up on its current boot, as if shutdown hung before it began. */
export async function ignoreNextReboot(host: HostRecord): Promise<void> {
  await writeFile(path.join(host.dir, 'power-fault'), 'ignore-reboot\n');
}

/** Power a host that stayed off back on (it boots its default entry). */
export async function powerOn(host: HostRecord): Promise<void> {
  await writeFile(path.join(host.dir, 'power-on'), 'on\n');
}

/** Clear a power fault that has not struck yet. */
export async function clearPowerFault(host: HostRecord): Promise<void> {
  await rm(path.join(host.dir, 'power-fault'), { force: true });
}

/** Wait until the host's power state is `state` (e.g. back 'up' after a reboot). */
export async function waitForPowerState(host: HostRecord, state: PowerState, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await powerState(host)) !== state) {
    if (Date.now() > deadline) throw new Error(`${host.name} did not reach power state "${state}" within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Whether the supervisor still runs (it survives every reboot; it ends with the host). */
export async function powerSupervisorRunning(host: HostRecord): Promise<boolean> {
  const pid = Number((await readFile(path.join(host.dir, 'log/power.pid'), 'utf8').catch(() => '')).trim());
  return pid > 0 && (await processName(pid)) === 'bash';
}
