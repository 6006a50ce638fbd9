import { runOk } from './run.js';
import { waitForPort } from './host.js';
import type { HostRecord } from './records.js';

/** Network faults: a host that drops off the network and comes back. */

/** Cut the host off the network: its veth goes down, so connecting fails with "Network is unreachable". */
export async function cutNetwork(host: HostRecord): Promise<void> {
  await runOk('ip', ['link', 'set', host.rootVeth, 'down']);
}

/** Bring the host's link back (both ends, also after a broken activation cut it from the inside). */
export async function restoreNetwork(host: HostRecord): Promise<void> {
  await runOk('ip', ['link', 'set', host.rootVeth, 'up']);
  await runOk('ip', ['-n', host.netns, 'link', 'set', 'eth0', 'up']);
  await waitForPort(host.address, 22, 10_000);
}

