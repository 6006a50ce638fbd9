import type { PhoneRoute } from '../android/types';
import type { DeployCheck } from '../homelab/deploy-checks';
import type { HealthCheckResult, StageTiming, TargetStatus } from '../jobs/types';

/** How switch-to-configuration is run (NixOS's own words). */
export type DeployMode = 'switch' | 'boot' | 'test' | 'dry-activate';

export const deployModes: readonly DeployMode[] = ['switch', 'boot', 'test', 'dry-activate'];

/** The visible stages of one target's deploy, in order. */
export type DeployStage = 'preflight' | 'build' | 'copy' | 'activate' | 'checks' | 'confirm' | 'reboot' | 'rollback';

/** What a deploy puts somewhere: a NixOS system, a Home Manager home, a Nix-on-Droid phone. */
export type DeployKind = 'system' | 'home' | 'droid';

/** How a droid target reaches and builds for its phone. */
export interface PhoneDeploy {
  /** Which phone: its adb serial, or its network address; undefined until the linked phone is found at deploy start. */
  readonly route?: PhoneRoute;
  /** head: git archive of HEAD; worktree: the files as they are. Sent when the phone builds. */
  readonly source: 'head' | 'worktree';
  /** phone: `nix-on-droid switch --flake` builds on the phone; laptop: build here, copy the closure, activate. */
  readonly buildOn: 'phone' | 'laptop';
  /** Log in to the phone's sshd with this key only. */
  readonly identityFile?: string;
}

/** One thing a deploy puts on a machine: a NixOS system, a Home Manager home as a user, or a droid on its phone. */
export interface DeployTargetSpec {
  /** What the UI and logs call it: "moonlight", "home:soriphoono@moonlight", or "droid:soriphoono". */
  readonly id: string;
  readonly kind: DeployKind;
  /** The configuration's name in the flake (nixosConfigurations / homeConfigurations / nixOnDroidConfigurations.<name>). */
  readonly config: string;
  /** SSH host (an ~/.ssh/config alias, DNS name or address); for a droid on adb, "adb:<serial>". */
  readonly host: string;
  /** Login user; for homes the user whose home it is. Undefined: ~/.ssh/config decides. */
  readonly user?: string;
  readonly port?: number;
  readonly sudo: boolean;
  readonly buildOnTarget: boolean;
  /** Build on this machine instead ("user@host" or an ssh alias), then copy from it straight to the host. */
  readonly buildHost?: string;
  readonly tags: readonly string[];
  /** Health checks after the switch (meta.json deploy.checks; none for homes and droids). */
  readonly checks: readonly DeployCheck[];
  /** Droids only: the phone and how it is built. */
  readonly phone?: PhoneDeploy;
}

/** What happened to one target in a deploy. */
export interface TargetOutcome {
  readonly target: string;
  readonly host: string;
  readonly status: TargetStatus;
  /** The stage it was in when it ended (or is in, for an interrupted deploy). */
  readonly stage?: DeployStage;
  readonly message?: string;
  readonly outPath?: string;
  /** The profile generation the deploy created. */
  readonly generation?: number;
  readonly previousGeneration?: number;
  /** Set when the host went back to an earlier generation. */
  readonly rolledBackTo?: number;
  readonly copiedPaths?: number;
  readonly copiedBytes?: number;
  /** What a droid's phone was sent to build: the commit, or "worktree" (the files as they were). */
  readonly revision?: string;
  /** The link dropped during activation and the outcome was read after reconnecting (phones). */
  readonly reconnected?: boolean;
  /** Why it failed, when it did: the error's code and what to do about it. */
  readonly errorCode?: string;
  readonly hint?: string;
  /** The host already ran exactly this generation (profile included): nothing was copied or activated. */
  readonly upToDate?: boolean;
  /** Where the closure was built: "here", "the host itself", or the build host's name. */
  readonly builtOn?: string;
  /** Where the host got the closure from: "here", the build host's name, or "cache" (it fetched all it lacked from the cache). */
  readonly copiedFrom?: string;
  /** Why the closure went build host -> this computer -> host ("build host cannot reach tv-box"); absent: straight. */
  readonly relayedBecause?: string;
  /** What the host fetched from the homelab's binary cache itself; the rest came from copiedFrom. */
  readonly fetchedFromCache?: { readonly paths: number; readonly bytes: number };
  /** The health checks and how each went. */
  readonly checks?: readonly HealthCheckResult[];
  /** After the deploy: the host's booted kernel, initrd or modules are not its new system's. */
  readonly needsReboot?: boolean;
  /** When the host was rebooted (`fleet reboot`, `fleet deploy --reboot`): what was seen of it. */
  readonly reboot?: RebootReport;
  readonly stages: readonly StageTiming[];
}

/** What a reboot saw of a host, times in ms since the epoch. */
export interface RebootReport {
  /** The generation it should boot (the boot default), and its system. */
  readonly expectedGeneration?: number;
  readonly expectedSystem?: string;
  readonly requestedAt: number;
  /** First moment it did not answer (or dropped the connection). */
  readonly downAt?: number;
  /** It answered again from a new boot. */
  readonly backAt?: number;
  /** Last time it answered before it went down (or before the wait ended). */
  readonly lastSeenAt: number;
  /** What it booted (/run/booted-system), and which generation of its system profile that is. */
  readonly bootedSystem?: string;
  readonly bootedGeneration?: number;
  /** came-back: on the expected generation; other-generation: booted something else; not-down: never went down; not-back: never answered again within the timeout. */
  readonly result: 'came-back' | 'other-generation' | 'not-down' | 'not-back';
  /** For a host not back in time that answered later in the same job: when. */
  readonly answeredLaterAt?: number;
}

export type DeployRecordStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** One deploy as the history keeps it. */
export interface DeployRecord {
  readonly id: string;
  readonly jobId: string;
  /** Who ran it: local user@machine. */
  readonly who: string;
  readonly root: string;
  /** git HEAD of the checkout, and whether it had uncommitted changes. */
  readonly revision?: string;
  readonly dirty?: boolean;
  readonly mode: DeployMode;
  readonly targets: readonly string[];
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly status: DeployRecordStatus;
  readonly outcomes: readonly TargetOutcome[];
  readonly logFile: string;
  /** The hosts were rebooted: after the deploy (`--reboot`), or a reboot alone (`fleet reboot`). */
  readonly reboot?: 'after-deploy' | 'only';
}

/** What a deploy job finishes with (also when some targets failed: then the job fails with this in its message). */
export interface DeployResult {
  readonly deployId: string;
  readonly ok: boolean;
  readonly outcomes: readonly TargetOutcome[];
}

/** One generation of a host's system (or home) profile. */
export interface Generation {
  readonly number: number;
  readonly path: string;
  readonly current: boolean;
  /** Seconds since the epoch when the generation was made. */
  readonly createdAt?: number;
}

/** What `deploy.status` says about one host. */
export interface HostStatus {
  readonly target: string;
  readonly host: string;
  readonly online: boolean;
  /** Why it is offline or could not be read. */
  readonly error?: string;
  readonly currentSystem?: string;
  readonly generation?: number;
  readonly configurationRevision?: string;
  readonly nixosVersion?: string;
  /** What the checkout builds for it now (when evaluated). */
  readonly wantedSystem?: string;
  /** true: the host runs something else than the checkout builds; undefined: not known. */
  readonly outOfDate?: boolean;
  readonly lock?: string;
  /** The system the host booted (/run/booted-system), when it says. */
  readonly bootedSystem?: string;
  /** true: its booted kernel, initrd or kernel modules are not those of the current system (or of the boot default). */
  readonly needsReboot?: boolean;
  /** Why it needs a reboot, in words. */
  readonly rebootReasons?: readonly string[];
  readonly lastDeploy?: { readonly id: string; readonly status: TargetStatus | 'interrupted'; readonly at: number };
  readonly checkedAt: number;
}
