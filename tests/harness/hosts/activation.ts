import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { processName, spawnInHost } from './host.js';
import type { HostRecord } from './records.js';
import { sleep } from './run.js';

/**
 * Magic-rollback testing: a watcher inside the host cuts its link when the next activation
 * changes /run/current-system, as a bad network configuration would, and brings the link back
 * when the system changes again (the host's own rollback).
 */

// Runs inside the host: waits for /run/current-system to change, then cuts the link from the
// inside until the system changes again (a rollback, or any other new activation).
const WATCHER_SCRIPT = `
flag=/run/fleet-lab-break-next-activation
current() { readlink -f /run/current-system 2>/dev/null || true; }
armed=$(current)
echo "armed $armed" > "$flag"
while [ "$(current)" = "$armed" ]; do sleep 0.1; done
broken=$(current)
ip link set eth0 down
echo "broken $broken" > "$flag"
while [ "$(current)" = "$broken" ]; do sleep 0.1; done
ip link set eth0 up
rm -f "$flag"
`;

export type ActivationBreakState = 'none' | 'armed' | 'broken';

/** Make the host's NEXT activation break SSH: the moment /run/current-system changes, its link goes down until it changes again (the rollback). */
export async function breakNextActivation(host: HostRecord): Promise<void> {
  await disarmActivationBreak(host);
  const pid = spawnInHost(host, ['/bin/sh', '-c', WATCHER_SCRIPT], path.join(host.dir, 'log/watcher.log'));
  await writeFile(path.join(host.dir, 'log/watcher.pid'), String(pid));
  for (let i = 0; i < 250 && (await activationBreakState(host)) === 'none'; i++) await sleep(20);
}

/** Where the break-next-activation watcher is: waiting, link cut, or not running. */
export async function activationBreakState(host: HostRecord): Promise<ActivationBreakState> {
  const text = await readFile(path.join(host.dir, 'run/fleet-lab-break-next-activation'), 'utf8').catch(() => '');
  return text.startsWith('broken') ? 'broken' : text.startsWith('armed') ? 'armed' : 'none';
}

/** Stop the watcher (the link is left as it is; restoreNetwork brings it up). */
export async function disarmActivationBreak(host: HostRecord): Promise<void> {
  const pid = Number((await readFile(path.join(host.dir, 'log/watcher.pid'), 'utf8').catch(() => '')).trim());
  if (pid > 0 && (await processName(pid)) === 'sh') {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(path.join(host.dir, 'log/watcher.pid'), { force: true });
  await rm(path.join(host.dir, 'run/fleet-lab-break-next-activation'), { force: true });
}


/** Where a host's switch-to-configuration (flake/lib/nixos) reads how long to wait (inside the host's /run). */
const ACTIVATION_SECONDS_FILE = 'run/fleet-lab-activation-seconds';

/**
 * Make every later `switch-to-configuration switch|test` on the host take `seconds` more wall
 * time, spent sleeping as a real host waits for systemd to restart its services (0: none).
 */
export async function setActivationDelay(host: HostRecord, seconds: number): Promise<void> {
  if (!(seconds >= 0) || seconds > 3600) throw new Error(`activation delay ${seconds} s is not between 0 and 3600`);
  const file = path.join(host.dir, ACTIVATION_SECONDS_FILE);
  if (seconds === 0) await rm(file, { force: true });
  else await writeFile(file, `${seconds}\n`);
}
