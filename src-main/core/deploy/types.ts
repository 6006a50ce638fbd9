import type { DeployCheck } from '../homelab/deploy-checks';
import type { HealthCheckResult, StageTiming, TargetStatus } from '../jobs/types';

/** How switch-to-configuration is run (NixOS's own words). */
export type DeployMode = 'switch' | 'boot' | 'test' | 'dry-activate';

export const deployModes: readonly DeployMode[] = ['switch', 'boot', 'test', 'dry-activate'];

/** The visible stages of one target's deploy, in order. */
export type DeployStage = 'preflight' | 'build' | 'copy' | 'activate' | 'checks' | 'confirm' | 'reboot' | 'rollback';

/** One thing a deploy puts on a host: a NixOS system, or a Home Manager home as a user. */
export interface DeployTargetSpec {
  /** What the UI and logs call it: "moonlight", or "home:soriphoono@moonlight". */
  readonly id: string;
  readonly kind: 'system' | 'home';
  /** The configuration's name in the flake (nixosConfigurations.<name> / homeConfigurations.<name>). */
  readonly config: string;
  /** SSH host (an ~/.ssh/config alias, DNS name or address). */
  readonly host: string;
  /** Login user; for homes the user whose home it is. Undefined: ~/.ssh/config decides. */
  readonly user?: string;
  readonly port?: number;
  readonly sudo: boolean;
  readonly buildOnTarget: boolean;
  readonly tags: readonly string[];
  /** Health checks after the switch (meta.json deploy.checks; none for homes). */
  readonly checks: readonly DeployCheck[];
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
  /** The health checks and how each went. */
  readonly checks?: readonly HealthCheckResult[];
  /** After the deploy: the host's booted kernel, initrd or modules are not its new system's. */
  readonly needsReboot?: boolean;
  readonly stages: readonly StageTiming[];
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
