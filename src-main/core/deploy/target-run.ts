import type { PhoneSession } from '../android/phone-session';
import type { WireError } from '../contract';
import type { FailedDerivation, HealthCheckResult, StageTiming, TargetProgress, TargetStatus } from '../jobs/types';
import type { HostSession } from './host-session';
import type { BootState } from './boot-state';
import { FleetError } from '../contract';
import type { DeployStage, DeployTargetSpec, RebootReport, TargetOutcome } from './types';

/** A system's or home's kind, for the host stages (a droid goes through droid-stages.ts). */
export function hostKindOf(spec: DeployTargetSpec): 'system' | 'home' {
  if (spec.kind === 'droid') throw new FleetError('invalid-input', `${spec.id} is a droid: it has no host profile (see \`fleet droid generations ${spec.config}\`).`);
  return spec.kind;
}

/**
 * The live state of one target in a deploy: its stage timings (for the timeline), status,
 * and what the stages found. Mutable while the deploy runs; snapshots are plain data.
 */
export class TargetRun {
  status: TargetStatus = 'pending';
  stage?: DeployStage;
  message?: string;
  outPath?: string;
  drvPath?: string;
  /** Built on the host itself (buildOnTarget): its output is there already, nothing to copy. */
  builtOnHost = false;
  /** Where the closure is built: "here", "the host itself", or the build host's name (shown while it builds). */
  builtOn?: string;
  /** Let the host substitute from its caches first (the deploy's setting, or the homelab cache it trusts). */
  substitute?: boolean;
  /** Where the host gets the closure from: "here", the build host's name, or the cache. */
  copiedFrom?: string;
  /** Why the closure goes build host -> this computer -> host ("build host cannot reach tv-box"); unset: straight. */
  relayedBecause?: string;
  /** What the host fetched from the homelab's binary cache itself. */
  fetchedFromCache?: { readonly paths: number; readonly bytes: number };
  /** Derivations that failed to build for this target, with their log tails. */
  failedDerivations?: readonly FailedDerivation[];
  /** Manual rollback: the existing generation to switch to. */
  toGeneration?: number;
  generation?: number;
  previousGeneration?: number;
  rolledBackTo?: number;
  copiedPaths?: number;
  copiedBytes?: number;
  bytesDone?: number;
  bytesTotal?: number;
  pathsDone?: number;
  pathsTotal?: number;
  currentSystem?: string;
  checks?: readonly HealthCheckResult[];
  needsReboot?: boolean;
  /** What the host booted (/run/booted-system), read at pre-flight. */
  bootedSystem?: string;
  /** The boot state right after a successful activation, read by the activation's own exec. */
  bootStateAfterActivation?: BootState;
  /** What a reboot saw of the host. */
  reboot?: RebootReport;
  /** A system's or home's host connection, from pre-flight on. */
  /** Where the host's profile points now (the system profile; a home's is currentSystem). */
  currentProfile?: string;
  /** Found at pre-flight to run exactly what this deploy would put there: not activated. */
  upToDate = false;
  session?: HostSession;
  /** A droid's phone connection, from pre-flight on. */
  phone?: PhoneSession;
  /** A droid built by its phone from "worktree" (or a revision other than the deploy's). */
  revision?: string;
  reconnected?: boolean;
  errorCode?: string;
  hint?: string;
  lockOwner?: string;
  private readonly stages: StageTiming[] = [];

  constructor(
    readonly spec: DeployTargetSpec,
    private readonly onChange: (run: TargetRun, stageChanged: boolean) => void,
  ) {}

  /** Enter a stage (closing the one before as succeeded). */
  enter(stage: DeployStage, message?: string): void {
    this.closeStage('succeeded');
    this.stage = stage;
    this.status = 'running';
    this.message = message;
    this.bytesDone = this.bytesTotal = this.pathsDone = this.pathsTotal = undefined;
    this.stages.push({ name: stage, startedAt: Date.now(), status: 'running' });
    this.onChange(this, true);
  }

  /**
   * The stage's own work is done but the next stage cannot start yet (other hosts' pre-flight,
   * a free copy slot): close it, so its timing says what it took and the wait shows as a gap.
   */
  rest(message?: string): void {
    this.closeStage('succeeded');
    if (message !== undefined) this.message = message;
    this.onChange(this, true);
  }

  update(change: Partial<Pick<TargetRun, 'message' | 'bytesDone' | 'bytesTotal' | 'pathsDone' | 'pathsTotal' | 'checks'>>): void {
    Object.assign(this, change);
    this.onChange(this, false);
  }

  /** End the target: the open stage ends with the same status (a failure marks its stage). */
  finish(status: TargetStatus, message?: string): void {
    this.closeStage(status === 'succeeded' ? 'succeeded' : status === 'skipped' ? 'skipped' : status);
    this.status = status;
    if (message !== undefined) this.message = message;
    this.onChange(this, true);
  }

  /** End the target with an error: its message, and its code and hint for whoever reads the outcome. */
  fail(error: WireError): void {
    this.errorCode = error.code;
    if (error.hint) this.hint = error.hint;
    this.finish(error.code === 'cancelled' ? 'cancelled' : 'failed', error.message);
  }

  get done(): boolean {
    return !['pending', 'running'].includes(this.status);
  }

  private closeStage(status: TargetStatus): void {
    const last = this.stages[this.stages.length - 1];
    if (last && last.finishedAt === undefined) {
      this.stages[this.stages.length - 1] = { ...last, finishedAt: Date.now(), status };
    }
  }

  progress(): TargetProgress {
    return {
      target: this.spec.id,
      status: this.status,
      ...(this.stage ? { stage: this.stage } : {}),
      ...(this.message ? { message: this.message } : {}),
      ...(this.pathsTotal !== undefined ? { done: this.pathsDone ?? 0, total: this.pathsTotal } : {}),
      ...(this.bytesTotal !== undefined ? { bytesDone: this.bytesDone ?? 0, bytesTotal: this.bytesTotal } : {}),
      ...(this.outPath ? { outPath: this.outPath } : {}),
      ...(this.upToDate ? { upToDate: true } : {}),
      ...(this.builtOn ? { builtOn: this.builtOn } : {}),
      ...(this.copiedFrom ? { copiedFrom: this.copiedFrom } : {}),
      ...(this.relayedBecause ? { relayedBecause: this.relayedBecause } : {}),
      ...(this.fetchedFromCache ? { fetchedFromCache: this.fetchedFromCache } : {}),
      ...(this.failedDerivations ? { failedDerivations: this.failedDerivations } : {}),
      ...(this.checks ? { checks: this.checks } : {}),
      stages: [...this.stages],
    };
  }

  outcome(): TargetOutcome {
    return {
      target: this.spec.id,
      host: this.spec.host,
      status: this.status,
      ...(this.stage ? { stage: this.stage } : {}),
      ...(this.message ? { message: this.message } : {}),
      ...(this.outPath ? { outPath: this.outPath } : {}),
      ...(this.generation !== undefined ? { generation: this.generation } : {}),
      ...(this.previousGeneration !== undefined ? { previousGeneration: this.previousGeneration } : {}),
      ...(this.rolledBackTo !== undefined ? { rolledBackTo: this.rolledBackTo } : {}),
      ...(this.copiedPaths !== undefined ? { copiedPaths: this.copiedPaths } : {}),
      ...(this.copiedBytes !== undefined ? { copiedBytes: this.copiedBytes } : {}),
      ...(this.revision !== undefined ? { revision: this.revision } : {}),
      ...(this.reconnected ? { reconnected: true } : {}),
      ...(this.errorCode && this.status !== 'succeeded' ? { errorCode: this.errorCode } : {}),
      ...(this.hint && this.status !== 'succeeded' ? { hint: this.hint } : {}),
      ...(this.upToDate ? { upToDate: true } : {}),
      ...(this.builtOn ? { builtOn: this.builtOn } : {}),
      ...(this.copiedFrom ? { copiedFrom: this.copiedFrom } : {}),
      ...(this.relayedBecause ? { relayedBecause: this.relayedBecause } : {}),
      ...(this.fetchedFromCache ? { fetchedFromCache: this.fetchedFromCache } : {}),
      ...(this.checks ? { checks: this.checks } : {}),
      ...(this.needsReboot !== undefined ? { needsReboot: this.needsReboot } : {}),
      ...(this.reboot ? { reboot: this.reboot } : {}),
      stages: [...this.stages],
    };
  }
}
