import { FleetError } from '../contract';
import type { HostSession } from './host-session';
import { failedUnitsOf } from './checks';
import { activateScript, decideScript, keyValues, rollbackScript, runnerScript, watchdogScript } from './remote-scripts';
import type { DeployMode } from './types';

export interface ActivationRequest {
  readonly kind: 'system' | 'home';
  /** Names the state directory on the host; unique per deploy and target. */
  readonly stateId: string;
  readonly outPath: string;
  readonly mode: DeployMode;
  /** 0: no magic rollback. */
  readonly confirmTimeoutSeconds: number;
  readonly rollbackOnFailure: boolean;
  /** Switch the profile to this existing generation instead of adding `outPath` as a new one (manual rollback). */
  readonly toGeneration?: number;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
  /**
   * Read in the activation's own exec (one remote shell instead of one each): the failed units
   * before the switch, for the health checks; the host's boot state after it succeeded.
   */
  readonly failedUnitsBefore?: boolean;
  readonly bootState?: boolean;
}

/** What the activation run reported. `status` is "ok", "failed <rc>" or a setup problem. */
export interface ActivationReport {
  readonly previousGeneration?: number;
  readonly generation?: number;
  readonly status?: string;
  /** "rolled-back N", "none" (nothing to go back to) or "rollback-failed <rc>". */
  readonly result?: string;
  /** The connection dropped before the activation reported its end. */
  readonly lost: boolean;
  /** Units failed before the switch (when asked and the host could say). */
  readonly failedBefore?: readonly string[];
  /** The boot state lines after the switch (when asked), as bootStateOf reads them. */
  readonly bootFacts?: ReadonlyMap<string, string>;
}

export const systemProfile = '/nix/var/nix/profiles/system';

/**
 * Set the profile and run switch-to-configuration (or a home's activate) detached from the
 * SSH session, with the watchdog started first, streaming the output. A dropped connection
 * is not an error here: the host carries on, and the confirm step finds out what happened.
 */
export async function runActivation(session: HostSession, request: ActivationRequest): Promise<ActivationReport> {
  const args = [
    request.kind,
    request.stateId,
    request.outPath,
    request.mode,
    request.kind === 'system' ? systemProfile : '',
    String(request.confirmTimeoutSeconds),
    request.rollbackOnFailure ? '1' : '0',
    request.toGeneration !== undefined ? String(request.toGeneration) : '',
    runnerScript,
    watchdogScript,
    rollbackScript,
    [...(request.failedUnitsBefore ? ['units-before'] : []), ...(request.bootState ? ['boot-state'] : [])].join(' '),
  ];
  const report: { previousGeneration?: number; generation?: number; status?: string; result?: string; failedBefore?: string[]; bootFacts?: Map<string, string> } = {};
  const failedLines: string[] = [];
  const onLine = (line: string) => {
    const m = /^@fleet (\w+) ?(.*)$/.exec(line);
    if (!m) return request.log(line);
    const [, key, value = ''] = m;
    if (key === 'previous' && /^\d+$/.test(value)) report.previousGeneration = Number(value);
    else if (key === 'generation' && /^\d+$/.test(value)) report.generation = Number(value);
    else if (key === 'status') report.status = value;
    else if (key === 'result') report.result = value;
    else if (key === 'failed_before') failedLines.push(value);
    else if (key === 'failed_before_end' && value === '0') report.failedBefore = failedUnitsOf(failedLines);
    else if (key === 'boot') for (const [k, v] of keyValues(value)) (report.bootFacts ??= new Map()).set(k, v);
  };
  const run = request.kind === 'home' ? session.script.bind(session) : session.scriptAsRoot.bind(session);
  try {
    const result = await run(activateScript, args, { onStdoutLine: onLine, onStderrLine: (l) => request.log(l) });
    if (result.code !== 0 && !report.status) report.status = `setup-failed ${result.code}`;
    return { ...report, lost: false };
  } catch (error) {
    if (error instanceof FleetError && error.code === 'connection-lost') return { ...report, lost: true };
    throw error;
  }
}

/** What the host says after a decision: kept, rolled back, or still unknown. */
export interface DecisionReport {
  readonly decision: string;
  readonly status?: string;
  readonly result?: string;
  /** The host's deploy lock was released along with the decision. */
  readonly unlocked?: boolean;
}

/**
 * Confirm (or, for a cancelled deploy, roll back) on the host, from a connection of its own;
 * with `lockOwner`, the deploy's lock on the host is released once the decision is made.
 */
export async function decide(
  session: HostSession,
  kind: 'system' | 'home',
  stateId: string,
  decision: 'confirmed' | 'rollback',
  waitSeconds: number,
  lockOwner = '',
): Promise<DecisionReport> {
  const run = kind === 'home' ? session.script.bind(session) : session.scriptAsRoot.bind(session);
  const result = await run(decideScript, [kind, stateId, decision, String(waitSeconds), lockOwner]);
  const out: { decision: string; status?: string; result?: string; unlocked?: boolean } = { decision: 'none' };
  for (const line of result.stdout.split('\n')) {
    const m = /^@fleet (\w+) ?(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'decision') out.decision = m[2] ?? 'none';
    else if (m[1] === 'status') out.status = m[2];
    else if (m[1] === 'result') out.result = m[2];
    else if (m[1] === 'unlocked') out.unlocked = true;
  }
  return out;
}

/** "rolled-back 4" -> 4 */
export function rolledBackGeneration(result: string | undefined): number | undefined {
  const m = /^rolled-back (\d+)/.exec(result ?? '');
  return m ? Number(m[1]) : undefined;
}
