/**
 * THE contract between the core and every front end (Electron IPC bridge, WebSocket
 * bridge, CLI). Every command is declared once, in its domain's contract.ts, with a zod
 * input schema and its result type; every event is declared once in events.ts and
 * domain-events.ts. Adapters use only what this file exports.
 */
import type { z } from 'zod';
import { FleetError, describeIssues, type CommandSpec, type JobStarted } from './contract';
import { appCommands } from './app/contract';
import { homelabCommands } from './homelab/contract';
import { nixCommands } from './nix/contract';
import { gitCommands } from './git/contract';
import { closureCommands } from './closure/contract';
import { deployCommands } from './deploy/contract';
import { androidCommands } from './android/contract';
import { installCommands } from './deploy/install/contract';

export const commands = {
  ...appCommands,
  ...homelabCommands,
  ...nixCommands,
  ...gitCommands,
  ...closureCommands,
  ...deployCommands,
  ...androidCommands,
  ...installCommands,
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands & string;

/** What a caller passes (before defaults are applied). */
export type CommandInput<N extends CommandName> = z.input<Commands[N]['input']>;

/** What a caller gets back: the result, or {jobId} for job commands. */
export type CommandResult<N extends CommandName> =
  Commands[N] extends CommandSpec<z.ZodType, unknown, 'job'>
    ? JobStarted
    : Commands[N] extends CommandSpec<z.ZodType, infer R, 'query'>
      ? R
      : never;

/** The final result a job command's job carries in JobInfo.result. */
export type JobResult<N extends CommandName> = Commands[N] extends CommandSpec<z.ZodType, infer R, 'job'> ? R : never;

export const commandNames = Object.keys(commands) as CommandName[];

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name);
}

/**
 * Validate a command's input at the edge. Throws a FleetError('invalid-input') whose
 * message names the command, each wrong field and what is wrong with it.
 */
export function parseCommandInput<N extends CommandName>(name: N, raw: unknown): z.output<Commands[N]['input']> {
  const spec = commands[name] as CommandSpec;
  const parsed = spec.input.safeParse(raw ?? {});
  if (parsed.success) return parsed.data as z.output<Commands[N]['input']>;
  const issues = describeIssues(parsed.error.issues);
  const detail = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new FleetError('invalid-input', `Invalid input for ${name}: ${detail}`, { issues });
}

/** Reject names that are not commands, listing the known ones. */
export function requireCommandName(name: unknown): CommandName {
  if (isCommandName(name)) return name;
  throw new FleetError('unknown-command', `Unknown command ${JSON.stringify(name)}.`, {
    hint: `Known commands: ${commandNames.join(', ')}.`,
  });
}

export type { FleetEvent, FleetEventType } from './events';
export type { DomainEvent } from './domain-events';
export type { HealthCheckResult, JobInfo, JobProgress, JobStatus, LogLine, TargetProgress, TargetStatus } from './jobs/types';
export type { WireError, WireReply, JobStarted } from './contract';
export { FleetError } from './contract';
// Types the front ends read, so the renderer imports types from this one file only.
export type { AndroidDevice, DroidGeneration } from './android/types';
export type { FleetBridge } from './bridge';
export type { ClosureDiffReport } from './closure/report';
export type { PackageDiff } from './closure/types';
export type { DeployPreview, DeployTargetSpec, DeployCopyPlan, TargetCopyPlan, PathAmount, CacheInfo, HostCacheTrust } from './deploy/contract';
export type { DeployRecord, HostStatus, TargetOutcome, RebootReport } from './deploy/types';
export type { Disk, HardwareFacts, InstallResult } from './deploy/install/contract';
export type { ChangedFileSummary, FileDiff, WorkingChanges } from './git/file-diff';
export type { LockDiff } from './git/lock-diff';
export type { SinceDeployedReport } from './deploy/since-deployed';
export type { AffectedMachine, AffectedReport } from './homelab/affected-types';
export type { AddAnswer } from './homelab/contract';
export type { DeployCheck } from './homelab/deploy-checks';
export type { DroidItem, FlakeState, HomeItem, Inventory, InventoryWarning, SecretsFileStatus, StandaloneHome, SystemItem } from './homelab/types';
export type { LogStream, StageTiming } from './jobs/types';
export type { NixInfo } from './nix/contract';
export type { BuildResult, TargetBuildResult } from './nix/build';
export type { CachePushResult } from './deploy/cache-push';
export type { CheckoutSummary, AppInfo, PromptRequest } from './app/contract';
export type { Settings } from './settings/settings';
