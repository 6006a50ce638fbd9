import { randomBytes } from 'node:crypto';
import { FleetError } from '../contract';
import type { PhoneSession } from './phone-session';

/**
 * `nix-on-droid switch` runs on the phone DETACHED from the SSH session (its own session,
 * output to a log file, exit code to a status file), so a dropped cable does not kill a
 * half-done activation. The app follows the log by byte offset and can pick it up again
 * after reconnecting, then reports what the phone actually finished with.
 */

/** Starts the switch in the background; prints nothing. $1: run dir, $2: droid name, $3: flake source dir. */
const startScript = `set -e
mkdir -p "$1"
d=$(cd "$1" && pwd)
src=$(cd "$3" && pwd)
rm -f "$d/status" "$d/status.tmp" "$d/pid"
: > "$d/log"
run='echo $$ > "$1/pid"; cd "$3" && nix-on-droid switch --flake "$PWD#$2" > "$1/log" 2>&1 < /dev/null; echo $? > "$1/status.tmp"; mv "$1/status.tmp" "$1/status"'
if command -v setsid > /dev/null 2>&1; then
  setsid sh -c "$run" sh "$d" "$2" "$src" > /dev/null 2>&1 < /dev/null &
else
  nohup sh -c "$run" sh "$d" "$2" "$src" > /dev/null 2>&1 < /dev/null &
fi
i=0
while [ ! -s "$d/pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
`;

/** Prints the log from byte $2 on, as it grows, then a marker with the exit status ("lost" if the switch died unseen). */
const followScript = `d=$1; off=$2; tok=$3; n=0
while :; do
  st=
  [ -e "$d/status" ] && st=$(cat "$d/status")
  size=$(wc -c < "$d/log")
  if [ "$size" -gt "$off" ]; then
    tail -c +$((off + 1)) "$d/log" | head -c $((size - off))
    off=$size
  fi
  if [ -n "$st" ]; then printf '\\n__FLEET_SWITCH_%s_%s\\n' "$tok" "$st"; exit 0; fi
  if [ ! -e "$d/status" ] && { { [ -s "$d/pid" ] && ! kill -0 "$(cat "$d/pid")" 2>/dev/null; } || { [ ! -s "$d/pid" ] && [ $n -gt 40 ]; }; }; then
    printf '\\n__FLEET_SWITCH_%s_lost\\n' "$tok"; exit 0
  fi
  n=$((n + 1))
  sleep 0.25
done
`;

/** Kills the switch's whole process group. */
const cancelScript = `d=$1
[ -s "$d/pid" ] && kill -TERM "-$(cat "$d/pid")" 2>/dev/null
sleep 1
[ -s "$d/pid" ] && kill -KILL "-$(cat "$d/pid")" 2>/dev/null
[ -e "$d/status" ] || { echo 143 > "$d/status.tmp"; mv "$d/status.tmp" "$d/status"; }
exit 0
`;

/** The switch's run directory on the phone, under the app's home. */
export function switchRunDir(droid: string): string {
  return `.cache/fleet/switch-${droid}`;
}

/**
 * Start `nix-on-droid switch --flake <sourceDir>#<droid>` detached on the phone. Returns
 * false when the link dropped meanwhile (the switch may or may not have started: follow it
 * after reconnecting to find out).
 */
export async function startSwitch(session: PhoneSession, runDir: string, droid: string, sourceDir: string): Promise<boolean> {
  const result = await session.run(['sh', '-c', startScript, 'sh', runDir, droid, sourceDir]);
  if (result.lost) return false;
  if (result.code !== 0) {
    throw new FleetError('switch-failed', `Could not start nix-on-droid switch on the phone: ${(result.stderr || result.stdout).trim() || `exit ${result.code}`}`);
  }
  return true;
}

export interface FollowResult {
  /** The switch's exit status; null when the link dropped before it was known. */
  readonly status: number | 'lost' | null;
  /** Log bytes seen so far (where to resume). */
  readonly offset: number;
}

/** Follow the switch's log from `offset`, handing complete lines to `onLine`, until it ends or the link drops. */
export async function followSwitch(
  session: PhoneSession,
  runDir: string,
  offset: number,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<FollowResult> {
  const token = randomBytes(6).toString('hex');
  const marker = Buffer.from(`\n__FLEET_SWITCH_${token}_`);
  let pending = Buffer.alloc(0);
  let consumed = offset;
  let partial = '';
  const emit = (bytes: Buffer) => {
    consumed += bytes.length;
    const text = partial + bytes.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line.replace(/\r$/, ''));
  };
  let status: FollowResult['status'] = null;
  const following = session.connection.exec(['sh', '-c', followScript, 'sh', runDir, String(offset), token], {
    ...(signal ? { signal } : {}),
    // The lines go to onLine as they come; nothing needs keeping.
    maxStdout: 0,
    onStdoutData: (chunk: Buffer) => {
      if (status !== null) return;
      pending = Buffer.concat([pending, chunk]);
      const at = pending.indexOf(marker);
      if (at >= 0) {
        emit(pending.subarray(0, at));
        const rest = pending.subarray(at + marker.length).toString('utf8');
        const match = /^(\d+|lost)\n/.exec(rest);
        if (match) {
          status = match[1] === 'lost' ? 'lost' : Number(match[1]);
          pending = Buffer.alloc(0);
        }
        return;
      }
      // Keep a possible marker start back; hand the rest on.
      const keep = Math.min(pending.length, marker.length + 16);
      emit(pending.subarray(0, pending.length - keep));
      pending = pending.subarray(pending.length - keep);
    },
  });
  // A dropped link or a cancel leaves the status unknown: the caller reconnects or stops the switch.
  await following.catch((error: unknown) => {
    if (!(error instanceof FleetError) || !['connection-lost', 'cancelled'].includes(error.code)) throw error;
  });
  if (status === null && pending.length > 0 && pending.indexOf(marker) < 0) emit(pending);
  if (partial && status !== null) onLine(partial);
  return { status, offset: consumed };
}

/** Stop a running switch on the phone (its process group). */
export async function cancelSwitch(session: PhoneSession, runDir: string): Promise<void> {
  await session.run(['sh', '-c', cancelScript, 'sh', runDir]);
}
