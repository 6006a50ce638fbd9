import type { HealthCheckResult, StageTiming, TargetProgress, TargetStatus } from '../jobs/types';
import type { HostSession } from './host-session';
import type { DeployStage, DeployTargetSpec, TargetOutcome } from './types';

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
  session?: HostSession;
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
      ...(this.checks ? { checks: this.checks } : {}),
      ...(this.needsReboot !== undefined ? { needsReboot: this.needsReboot } : {}),
      stages: [...this.stages],
    };
  }
}
