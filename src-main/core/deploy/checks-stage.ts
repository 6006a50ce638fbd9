import { toWireError } from '../contract';
import { checkLabel } from '../homelab/deploy-checks';
import type { HealthCheckResult } from '../jobs/types';
import { failedUnits, runHealthChecks } from './checks';
import { logFor, type DeployEnv } from './host-stages';
import type { TargetRun } from './target-run';

/**
 * The `checks` stage of a system's deploy: after activation, before the confirmation. Runs the
 * system's meta.json deploy.checks and "no unit newly failed" over the deploy's connection.
 */

/** Whether this target's deploy runs health checks: a system switched (or tested) now, unless --skip-checks. */
export function checksWanted(env: DeployEnv, run: TargetRun): boolean {
  return !env.skipChecks && run.spec.kind === 'system' && run.toGeneration === undefined && (env.mode === 'switch' || env.mode === 'test');
}

/** Seconds the checks may take at most: the host's confirm window is stretched by this, so its watchdog waits for them. */
export function checksBudgetSeconds(run: TargetRun): number {
  return run.spec.checks.reduce((sum, c) => sum + c.timeoutSeconds, 0) + 15;
}

/** The units failed before this deploy (not blamed on it); undefined when the host cannot say. */
export async function failedBeforeDeploy(env: DeployEnv, run: TargetRun): Promise<readonly string[] | undefined> {
  try {
    return await failedUnits(run.session!, env.job.signal);
  } catch {
    return undefined;
  }
}

/** A check that failed; connectionLost when it is the deploy's connection that went, not a check. */
export interface ChecksFailure {
  readonly failed: HealthCheckResult;
  readonly connectionLost: boolean;
}

/** Run the checks; returns what failed, or undefined when all passed. */
export async function checksStage(env: DeployEnv, run: TargetRun, failedBefore: readonly string[] | undefined): Promise<ChecksFailure | undefined> {
  const log = logFor(env, run);
  run.enter('checks', `${run.spec.checks.length + 1} health check${run.spec.checks.length === 0 ? '' : 's'}`);
  if (failedBefore && failedBefore.length > 0) log(`units failed before this deploy (reported, not blamed): ${failedBefore.join(', ')}`, 'info');
  try {
    const results = await runHealthChecks(run.session!, run.spec.checks, failedBefore, env.job.signal, (all, changed) => {
      if (changed.status === 'running') log(`checking ${changed.label}...`, 'info');
      else if (changed.status === 'passed' || changed.status === 'failed') {
        log(`${changed.status === 'passed' ? 'passed' : 'FAILED'}: ${changed.label}${changed.output ? ` (${changed.output.split('\n')[0]})` : ''}`, changed.status === 'passed' ? 'info' : 'error');
        if (changed.status === 'failed' && changed.output && changed.output.includes('\n')) log(changed.output, 'stderr');
      }
      const done = all.filter((r) => r.status === 'passed' || r.status === 'failed').length;
      run.update({ checks: all, message: `health checks: ${done}/${all.length}` });
    });
    const failed = results.find((r) => r.status === 'failed');
    return failed ? { failed, connectionLost: false } : undefined;
  } catch (error) {
    const wire = toWireError(error);
    const failed: HealthCheckResult = { label: run.spec.checks[0] ? checkLabel(run.spec.checks[0]) : 'no unit newly failed', kind: run.spec.checks[0]?.kind ?? 'failed-units', status: 'failed', output: wire.message };
    log(`health checks could not run: ${wire.message}`, 'error');
    return { failed, connectionLost: wire.code === 'connection-lost' };
  }
}
