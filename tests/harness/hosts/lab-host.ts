import { activationBreakState, breakNextActivation, disarmActivationBreak, setActivationDelay, type ActivationBreakState } from './activation.js';
import { fingerprintOf, hostPublicKey, knownHostsLine } from './client-files.js';
import { execInHost, hostProgram, writeHostFile } from './host.js';
import { hashPassword, sudoFiles } from './layout.js';
import { slowLink, restoreLinkSpeed, type LinkSpeed } from './link-speed.js';
import { cutNetwork, restoreNetwork, type CutMode } from './network.js';
import type { HostRecord, LabRecord } from './records.js';
import type { RunOptions, RunResult } from './run.js';
import { changeHostKey, killSshd, restartSshd, startSshd } from './sshd.js';
import { fillStore, freeStore } from './store-disk.js';
import { bootPreviousGenerationNextTime, clearPowerFault, comeBackLate, ignoreNextReboot, neverComeBack, powerEvents, powerOn, powerState, rebootHost, waitForPowerState, type PowerEvent, type PowerState } from './power.js';

/**
 * One running test host, as tests and benchmarks use it: where to reach it, its host key,
 * a way to look inside without ssh, and every fault it can be put in.
 */
export class LabHost implements HostRecord {
  readonly name: string;
  readonly index: number;
  readonly netns: string;
  readonly rootVeth: string;
  readonly address: string;
  readonly gateway: string;
  readonly dir: string;
  readonly holderPid: number;
  readonly toolchain?: { readonly suite: string; readonly root: string };
  readonly port = 22;
  /** ssh user with all rights (the ssh_config's User). */
  readonly user = 'root';
  /** Non-root user with sudo (passwordless unless the lab was started with sudoPassword). */
  readonly deployUser: string;
  readonly identityFile: string;
  readonly sshConfigPath: string;
  readonly knownHostsPath: string;
  #publicKey: string;

  constructor(record: HostRecord, lab: LabRecord, publicKey: string) {
    this.name = record.name;
    this.index = record.index;
    this.netns = record.netns;
    this.rootVeth = record.rootVeth;
    this.address = record.address;
    this.gateway = record.gateway;
    this.dir = record.dir;
    this.holderPid = record.holderPid;
    if (record.toolchain) this.toolchain = record.toolchain;
    this.deployUser = lab.deployUser;
    this.identityFile = lab.identityFile;
    this.sshConfigPath = lab.sshConfigPath;
    this.knownHostsPath = lab.knownHostsPath;
    this.#publicKey = publicKey;
  }

  /** The host's current ed25519 public key line. */
  get hostPublicKey(): string {
    return this.#publicKey;
  }

  /** SHA256 fingerprint of the current host key ("SHA256:..."). */
  get hostKeyFingerprint(): string {
    return fingerprintOf(this.#publicKey);
  }

  /** known_hosts line for the current host key, keyed by alias and address. */
  get knownHostsLine(): string {
    return knownHostsLine(this, this.#publicKey);
  }

  /** Arguments for /usr/bin/ssh that reach this host with the lab's config: `ssh ...host.sshArgs() -- cmd`. */
  sshArgs(user?: string): readonly string[] {
    return ['-F', this.sshConfigPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', user ? `${user}@${this.name}` : this.name];
  }

  /**
   * Run a command inside the host as root without ssh (its /nix, /run, network), for
   * assertions; from the host's toolchain when it has one, as its ssh sessions would.
   */
  exec(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return execInHost(this, hostProgram(this, argv), options);
  }

  /** readlink -f /run/current-system inside the host, or null before the first activation. */
  async currentSystem(): Promise<string | null> {
    const result = await this.exec(['readlink', '-f', '/run/current-system']);
    const target = result.stdout.trim();
    return result.code === 0 && target.startsWith('/nix/store/') ? target : null;
  }

  /** Take the host off the network: "drop" (default) makes connects time out, "unreachable" fails them at once. */
  cutNetwork(mode?: CutMode): Promise<void> {
    return cutNetwork(this, mode);
  }
  restoreNetwork(): Promise<void> {
    return restoreNetwork(this);
  }
  killSshd(): Promise<void> {
    return killSshd(this);
  }
  startSshd(): Promise<void> {
    return startSshd(this);
  }
  restartSshd(): Promise<void> {
    return restartSshd(this);
  }
  /** New host key + sshd restart. The lab's known_hosts keeps the old key (call Lab.writeClientFiles to trust the new one). */
  async changeHostKey(): Promise<string> {
    this.#publicKey = await changeHostKey(this);
    return this.#publicKey;
  }
  breakNextActivation(): Promise<void> {
    return breakNextActivation(this);
  }
  activationBreakState(): Promise<ActivationBreakState> {
    return activationBreakState(this);
  }
  disarmActivationBreak(): Promise<void> {
    return disarmActivationBreak(this);
  }
  /** Every later activation (switch-to-configuration switch|test) waits this many seconds, as real service restarts do. */
  setActivationDelay(seconds: number): Promise<void> {
    return setActivationDelay(this, seconds);
  }
  fillStore(options?: { readonly freeBytes?: number }): Promise<void> {
    return fillStore(this, options);
  }
  freeStore(): Promise<void> {
    return freeStore(this);
  }
  slowLink(speed: LinkSpeed): Promise<void> {
    return slowLink(this, speed);
  }
  restoreLinkSpeed(): Promise<void> {
    return restoreLinkSpeed(this);
  }
  /** readlink -f /run/booted-system inside the host: the system it last booted, or null. */
  async bootedSystem(): Promise<string | null> {
    const result = await this.exec(['readlink', '-f', '/run/booted-system']);
    const target = result.stdout.trim();
    return result.code === 0 && target.startsWith('/nix/store/') ? target : null;
  }
  /** Reboot now (the reset button; `systemctl reboot` on the host does the same). */
  reboot(): Promise<void> {
    return rebootHost(this);
  }
  /** Fault: the next reboot boots the generation before the boot default. */
  bootPreviousGenerationNextTime(): Promise<void> {
    return bootPreviousGenerationNextTime(this);
  }
  /** Fault: the next reboot leaves the host off (connections time out) until powerOn(). */
  neverComeBack(): Promise<void> {
    return neverComeBack(this);
  }
  /** Fault: the next reboot leaves the host dark for `seconds` after it went down, then it boots as usual. */
  comeBackLate(seconds: number): Promise<void> {
    return comeBackLate(this, seconds);
  }
  /** Fault: the next reboot request is ignored; the host stays up on its current boot. */
  ignoreNextReboot(): Promise<void> {
    return ignoreNextReboot(this);
  }
  clearPowerFault(): Promise<void> {
    return clearPowerFault(this);
  }
  powerOn(): Promise<void> {
    return powerOn(this);
  }
  powerState(): Promise<PowerState> {
    return powerState(this);
  }
  /** Every power event of this host ("<ms> up", "shutting-down reboot", "down", "off", ...), oldest first. */
  powerEvents(): Promise<readonly PowerEvent[]> {
    return powerEvents(this);
  }
  waitForPowerState(state: PowerState, timeoutMs?: number): Promise<void> {
    return waitForPowerState(this, state, timeoutMs);
  }
  /** Make the deploy user's sudo ask for this password (null: passwordless). */
  async setSudoPassword(password: string | null): Promise<void> {
    const files = await sudoFiles(this.deployUser, password === null ? null : await hashPassword(password));
    await writeHostFile(this, '/etc/shadow', files.shadow, 0o640);
    await writeHostFile(this, '/etc/sudoers.d/fleet-lab', files.sudoers, 0o440);
  }
}

/** A LabHost for a stored record, with the host key it has now. */
export async function labHostOf(record: HostRecord, lab: LabRecord): Promise<LabHost> {
  return new LabHost(record, lab, await hostPublicKey(record));
}
