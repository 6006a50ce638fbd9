/**
 * The lab's persisted shape. Everything a fresh process needs to find, fault and remove a lab
 * lives in <stateDir>/lab.json, so `lab down` works long after `lab up` exited.
 */

/** One test host as written to lab.json. */
export interface HostRecord {
  /** Host name: the ssh_config alias and the host's hostname (e.g. "zephyrus", "host-05"). */
  readonly name: string;
  readonly index: number;
  /** Network namespace name (ip netns list). */
  readonly netns: string;
  /** Root-namespace end of the veth pair; the host's end is always eth0. */
  readonly rootVeth: string;
  /** The host's address (its end of the veth pair); sshd listens on port 22 there. */
  readonly address: string;
  /** The root namespace's address on the same /30. */
  readonly gateway: string;
  /** Directory holding all of this host's state (its /nix, /run, /etc/ssh, /root, /home...). */
  readonly dir: string;
  /** PID of the process that holds the host's mount and UTS namespaces (nsenter -t). */
  readonly holderPid: number;
  /** Set when sshd, nix and ssh sessions come from a toolchain: its suite and the chroot they run in. */
  readonly toolchain?: { readonly suite: string; readonly root: string };
}

/** A whole lab as written to lab.json. */
export interface LabRecord {
  readonly version: 1;
  /** Slot number: names the lab's namespaces and picks its 10.233.<slot>.0/24 block. */
  readonly slot: number;
  readonly stateDir: string;
  /** Owning process; null for a detached lab (started by `lab up`), which lives until `lab down`. */
  readonly ownerPid: number | null;
  readonly ownerStartTime: string | null;
  readonly identityFile: string;
  readonly sshConfigPath: string;
  readonly knownHostsPath: string;
  /** Non-root user present on every host, allowed to sudo. */
  readonly deployUser: string;
  readonly deployUid: number;
  /** Whether sudo for deployUser asks for a password (the password itself is never stored here). */
  readonly sudoNeedsPassword: boolean;
  readonly hosts: readonly HostRecord[];
}

/** Prefix of every network namespace the harness creates: fleet-lab-<slot>-<host>. */
export const NETNS_PREFIX = 'fleet-lab-';
/** Prefix of every root-namespace veth: fl<slot>v<index> (interface names max 15 chars). */
export const VETH_PREFIX = 'fl';
/** The private block used only for the harness's veth pairs: 10.233.<slot>.<4*index + 1|2>/30. */
export const ADDRESS_BLOCK = '10.233';
export const MAX_SLOTS = 256;
export const MAX_HOSTS_PER_LAB = 64;
/** Where live labs register their slot (tmpfs, so a reboot forgets them together with the namespaces). */
export const REGISTRY_DIR = '/run/fleet-lab';

/** Network namespace name of host `name` in lab `slot`. */
export function netnsName(slot: number, name: string): string {
  return `${NETNS_PREFIX}${slot}-${name}`;
}

/** Root-side veth name of host `index` in lab `slot`. */
export function vethName(slot: number, index: number): string {
  return `${VETH_PREFIX}${slot}v${index}`;
}

/** Slot a harness namespace or veth name belongs to, or null when the name is not ours. */
export function slotOfNetns(netns: string): number | null {
  const match = /^fleet-lab-(\d+)-[a-z0-9-]+$/.exec(netns);
  return match ? Number(match[1]) : null;
}

/** Slot a root-namespace veth belongs to, or null when the name is not ours. */
export function slotOfVeth(link: string): number | null {
  const match = /^fl(\d+)v\d+$/.exec(link);
  return match ? Number(match[1]) : null;
}

/** The /30 addresses of host `index` in lab `slot`: the host's end and the root namespace's end. */
export function addressesOf(slot: number, index: number): { readonly address: string; readonly gateway: string } {
  if (slot < 0 || slot >= MAX_SLOTS) throw new Error(`lab slot ${slot} out of range`);
  if (index < 0 || index >= MAX_HOSTS_PER_LAB) {
    throw new Error(`a lab holds at most ${MAX_HOSTS_PER_LAB} hosts (asked for host #${index + 1})`);
  }
  return {
    gateway: `${ADDRESS_BLOCK}.${slot}.${index * 4 + 1}`,
    address: `${ADDRESS_BLOCK}.${slot}.${index * 4 + 2}`,
  };
}

/** Host names the harness accepts: they become hostnames, namespace names and ssh_config aliases. */
export function assertHostName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name)) {
    throw new Error(`host name "${name}" must be lowercase letters, digits and dashes (max 31 chars)`);
  }
}

/**
 * What a lab writes into its state directory. Only these are removed: the directory may be
 * shared (the emulated phone keeps /tmp/fleet-lab/phones next to the hosts).
 */
export const LAB_ENTRIES = ['hosts', 'lab.json', 'ssh_config', 'known_hosts', 'id_ed25519', 'id_ed25519.pub'] as const;
