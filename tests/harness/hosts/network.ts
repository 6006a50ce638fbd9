import { runOk } from './run.js';
import { ensureLeakGuard } from './cleanup.js';
import { waitForPort } from './host.js';
import { sshdMasterPid } from './sshd.js';
import type { HostRecord } from './records.js';

/** Network faults: a host that drops off the network and comes back. */

/**
 * How a cut looks to a client. "drop": the host's end of the link goes down, packets vanish and
 * connecting times out (a host that was unplugged). "unreachable": our end goes down, and the
 * lab's unreachable route answers at once with "No route to host" (fast tests).
 */
export type CutMode = 'drop' | 'unreachable';

/** Cut the host off the network until restoreNetwork. */
export async function cutNetwork(host: HostRecord, mode: CutMode = 'drop'): Promise<void> {
  await ensureLeakGuard();
  if (mode === 'drop') await runOk('ip', ['-n', host.netns, 'link', 'set', 'eth0', 'down']);
  else await runOk('ip', ['link', 'set', host.rootVeth, 'down']);
}

/** Bring the host's link back (both ends, also after a broken activation cut it from the inside); returns when sshd answers. */
export async function restoreNetwork(host: HostRecord): Promise<void> {
  await runOk('ip', ['link', 'set', host.rootVeth, 'up']);
  await runOk('ip', ['-n', host.netns, 'link', 'set', 'eth0', 'up']);
  // Return once the host answers again, unless its sshd is down on purpose (killSshd).
  if ((await sshdMasterPid(host)) !== null) await waitForPort(host.address, 22, 10_000);
}

