import { checkLabel, type DeployCheck } from '../homelab/deploy-checks';
import type { HealthCheckResult } from '../jobs/types';
import type { HostSession } from './host-session';

/**
 * Health checks after a switch: each check is tried again every second until it passes or
 * its timeout is over (an attempt started before then may finish after it) (a service may need a moment to come up), in order, stopping at the
 * first failure; then "no unit newly failed" compares the failed units with those before the
 * deploy (units that were failed already are reported, not blamed).
 */

/** systemctl of the running system: the same path on every NixOS host. */
export const systemctlPath = '/run/current-system/sw/bin/systemctl';

const retryMs = 1000;
const maxOutput = 2000;

/** Units in the failed state now; undefined when the host cannot say (no systemctl yet). */
export async function failedUnits(session: HostSession, signal?: AbortSignal): Promise<readonly string[] | undefined> {
  const result = await session.connection.exec([systemctlPath, 'list-units', '--state=failed', '--plain', '--no-legend', '--no-pager'], { ...(signal ? { signal } : {}) });
  if (result.code !== 0) return undefined;
  return failedUnitsOf(result.stdout.split('\n'));
}

/** The unit names of `systemctl list-units --state=failed --plain --no-legend` lines. */
export function failedUnitsOf(lines: readonly string[]): string[] {
  return lines.map((line) => line.replace(/^[^A-Za-z0-9]+/, '').split(/\s+/)[0] ?? '').filter((unit) => /\.[a-z]+$/.test(unit));
}

function clip(text: string): string {
  const t = text.trim();
  return t.length > maxOutput ? `…${t.slice(-maxOutput)}` : t;
}

interface Attempt {
  readonly passed: boolean;
  readonly output: string;
}

async function attemptUnit(session: HostSession, unit: string, signal: AbortSignal): Promise<Attempt> {
  const result = await session.connection.exec([systemctlPath, 'is-active', unit], { signal });
  const state = result.stdout.trim() || result.stderr.trim() || `exit code ${result.code}`;
  return { passed: result.code === 0 && state === 'active', output: `${unit} is ${state}` };
}

async function attemptCommand(session: HostSession, command: readonly string[], seconds: number, signal: AbortSignal): Promise<Attempt> {
  // coreutils' timeout on the host ends a command that hangs; it runs as the login user.
  const result = await session.connection.exec(['timeout', String(seconds), ...command], { signal, maxStdout: 64 * 1024 });
  const output = clip([result.stdout, result.stderr].filter((s) => s.trim()).join('\n'));
  const why = result.code === 124 ? `timed out after ${seconds} s` : `exit code ${result.code ?? result.signal ?? '?'}`;
  return { passed: result.code === 0, output: result.code === 0 ? output : `${why}${output ? `\n${output}` : ''}` };
}

async function attemptHttp(url: string, status: number, seconds: number, signal: AbortSignal): Promise<Attempt> {
  try {
    // Only ever the address the person configured: redirects are reported, never followed.
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(Math.min(seconds, 10) * 1000)]) });
    const body = clip((await response.text()).slice(0, 4096));
    const location = response.headers.get('location');
    return {
      passed: response.status === status,
      output: `HTTP ${response.status}${response.status === status ? '' : ` (expected ${status})`}${location ? `, redirect to ${location} (not followed)` : ''}${body ? `\n${body}` : ''}`,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { passed: false, output: `no answer: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}

// Each attempt may take the check's whole timeout: a last attempt cut short would report
// "timed out" instead of what actually failed.
async function attempt(session: HostSession, check: DeployCheck, signal: AbortSignal): Promise<Attempt> {
  switch (check.kind) {
    case 'unit':
      return attemptUnit(session, check.unit, signal);
    case 'command':
      return attemptCommand(session, check.command, check.timeoutSeconds, signal);
    case 'http':
      return attemptHttp(check.url, check.status, check.timeoutSeconds, signal);
  }
}

/** Try one check until it passes or its timeout is over. */
export async function runCheck(session: HostSession, check: DeployCheck, signal: AbortSignal): Promise<HealthCheckResult> {
  const started = Date.now();
  const deadline = started + check.timeoutSeconds * 1000;
  let last = await attempt(session, check, signal);
  while (!last.passed && Date.now() + retryMs <= deadline && !signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, retryMs));
    last = await attempt(session, check, signal);
  }
  if (!last.passed && check.kind === 'unit') {
    // What systemd says about the unit, for the person reading why it failed.
    const status = await session.connection.exec([systemctlPath, 'status', '--no-pager', '--lines=10', check.unit], { signal }).catch(() => undefined);
    if (status?.stdout.trim()) last = { ...last, output: `${last.output}\n${clip(status.stdout)}` };
  }
  return { label: checkLabel(check), kind: check.kind, status: last.passed ? 'passed' : 'failed', output: last.output, durationMs: Date.now() - started };
}

/**
 * "no unit newly failed": units failed now that were not failed before the deploy. Read over
 * an exec of its own, after the activation's has ended: a unit that dies just after it was
 * started (a crash at start) is failed by then, and not always the moment the switch returns.
 */
export async function checkNoNewFailures(session: HostSession, before: readonly string[] | undefined, signal: AbortSignal): Promise<HealthCheckResult> {
  const started = Date.now();
  const label = 'no unit newly failed';
  const now = await failedUnits(session, signal);
  if (now === undefined) return { label, kind: 'failed-units', status: 'failed', output: 'could not list failed units (systemctl list-units failed)', durationMs: Date.now() - started };
  const earlier = new Set(before ?? []);
  const blamed = now.filter((u) => !earlier.has(u));
  const already = now.filter((u) => earlier.has(u));
  const output = [
    blamed.length > 0 ? `failed since this deploy: ${blamed.join(', ')}` : 'no unit failed because of this deploy',
    ...(already.length > 0 ? [`already failed before the deploy (not blamed): ${already.join(', ')}`] : []),
  ].join('\n');
  return { label, kind: 'failed-units', status: blamed.length > 0 ? 'failed' : 'passed', output, durationMs: Date.now() - started };
}

/** The results list before anything ran: each check pending, then "no unit newly failed". */
export function pendingResults(checks: readonly DeployCheck[]): HealthCheckResult[] {
  return [...checks.map((c) => ({ label: checkLabel(c), kind: c.kind, status: 'pending' as const })), { label: 'no unit newly failed', kind: 'failed-units', status: 'pending' }];
}

/**
 * Run every check in order, then "no unit newly failed"; after a failure the rest are
 * skipped. `onChange` gets the whole list after each step (for progress and the log).
 */
export async function runHealthChecks(
  session: HostSession,
  checks: readonly DeployCheck[],
  failedBefore: readonly string[] | undefined,
  signal: AbortSignal,
  onChange: (results: readonly HealthCheckResult[], changed: HealthCheckResult) => void,
): Promise<readonly HealthCheckResult[]> {
  const results = pendingResults(checks);
  const set = (i: number, result: HealthCheckResult) => {
    results[i] = result;
    onChange([...results], result);
  };
  let failed = false;
  for (const [i, check] of checks.entries()) {
    if (failed || signal.aborted) {
      set(i, { ...results[i]!, status: 'skipped' });
      continue;
    }
    set(i, { ...results[i]!, status: 'running' });
    const result = await runCheck(session, check, signal);
    set(i, result);
    failed = result.status === 'failed';
  }
  const last = results.length - 1;
  if (failed || signal.aborted) set(last, { ...results[last]!, status: 'skipped' });
  else {
    set(last, { ...results[last]!, status: 'running' });
    set(last, await checkNoNewFailures(session, failedBefore, signal));
  }
  return results;
}
