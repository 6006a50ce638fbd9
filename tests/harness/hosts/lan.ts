import { readFile } from 'node:fs/promises';
import { execInHost, writeHostFile } from './host.js';
import { NETNS_PREFIX, type HostRecord, type LabRecord } from './records.js';
import { runOk } from './run.js';
import { restartSshd } from './sshd.js';

/**
 * A LAN between a lab's hosts, apart from this machine's link: a bridge in a namespace of
 * its own (`fleet-lab-<slot>--lan`, removed with the lab like every namespace of its slot)
 * and a second interface `lan0` in each host on 10.234.<slot>.0/24. Each host's /etc/hosts
 * names the others by their LAN address, so `ssh moonlight` on a build host goes over the
 * LAN while this machine reaches moonlight over its own veth: what a homelab looks like
 * from the admin's laptop. The root namespace has no address on the LAN, so nothing on it
 * can be routed to or from this machine (and nothing leaves the lab).
 */

/** The lab LAN's address block: 10.234.<slot>.<index + 1>. */
export const LAN_BLOCK = '10.234';

/** The bridge namespace of lab `slot` (its "-lan" tail can never be a host name, which starts with a letter or digit). */
export function lanNetns(slot: number): string {
  return `${NETNS_PREFIX}${slot}--lan`;
}

/** A host's address on the LAN. */
export function lanAddressOf(slot: number, host: Pick<HostRecord, 'index'>): string {
  return `${LAN_BLOCK}.${slot}.${host.index + 1}`;
}

/** Put every host of a running lab on one LAN; returns each host's LAN address by name. */
export async function joinLan(lab: Pick<LabRecord, 'slot' | 'hosts'>): Promise<ReadonlyMap<string, string>> {
  const netns = lanNetns(lab.slot);
  await runOk('ip', ['netns', 'add', netns]);
  await runOk('ip', ['-n', netns, 'link', 'add', 'br0', 'type', 'bridge']);
  await runOk('ip', ['-n', netns, 'link', 'set', 'br0', 'up']);
  const addresses = new Map<string, string>();
  for (const host of lab.hosts) {
    const port = `p${host.index}`;
    const address = lanAddressOf(lab.slot, host);
    await runOk('ip', ['-n', netns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'lan0', 'netns', host.netns]);
    await runOk('ip', ['-n', netns, 'link', 'set', port, 'master', 'br0', 'up']);
    await runOk('ip', ['-n', host.netns, 'addr', 'add', `${address}/24`, 'dev', 'lan0']);
    await runOk('ip', ['-n', host.netns, 'link', 'set', 'lan0', 'up']);
    addresses.set(host.name, address);
  }
  for (const host of lab.hosts) {
    const current = await execInHost(host, ['cat', '/etc/hosts']);
    const others = lab.hosts.filter((h) => h.name !== host.name).map((h) => `${addresses.get(h.name)}\t${h.name}`);
    await writeHostFile(host, '/etc/hosts', `${current.stdout.trimEnd()}\n# the lab LAN (tests/harness/hosts/lan.ts)\n${others.join('\n')}\n`, 0o644);
    // sshd listens on its LAN address too (a fault that rewrites sshd_config drops it again).
    const config = await execInHost(host, ['cat', '/etc/ssh/sshd_config']);
    await writeHostFile(host, '/etc/ssh/sshd_config', `${config.stdout.trimEnd()}\nListenAddress ${addresses.get(host.name)}\n`, 0o644);
    await restartSshd(host);
  }
  return addresses;
}

/**
 * Bytes through this machine's own links to the lab (received + sent on every host's
 * root-namespace veth). Traffic between hosts on the LAN is not counted: it never touches
 * this machine's links, as between machines on a real LAN.
 */
export async function bytesThroughThisMachine(lab: Pick<LabRecord, 'hosts'>): Promise<number> {
  let total = 0;
  for (const host of lab.hosts) {
    for (const counter of ['rx_bytes', 'tx_bytes']) {
      total += Number((await readFile(`/sys/class/net/${host.rootVeth}/statistics/${counter}`, 'utf8')).trim());
    }
  }
  return total;
}
