import type { HealthCheckResult } from '../../../src-main/core/api';
import { formatDuration } from '../../components/JobPanel';

const tone: Record<HealthCheckResult['status'], string> = { pending: '', running: 'accent', passed: 'ok', failed: 'err', skipped: 'warn' };

/** The health checks of one host in a deploy: each check, how it went, and what it saw when it failed. */
export function HostChecks({ target, checks }: { readonly target: string; readonly checks: readonly HealthCheckResult[] | undefined }) {
  if (!checks || checks.length === 0) return null;
  return (
    <section className="deploy-checks" data-testid="deploy-checks" data-target={target}>
      <h3>Health checks of {target}</h3>
      <ol>
        {checks.map((c, i) => (
          <li key={i} className="deploy-check" data-testid="deploy-check" data-status={c.status}>
            <div className="row">
              <span className={`badge ${tone[c.status]}`}>{c.status === 'running' ? <span className="spinner" /> : null}{c.status}</span>
              <span className="mono">{c.label}</span>
              {c.durationMs !== undefined ? <span className="faint">{formatDuration(c.durationMs)}</span> : null}
            </div>
            {c.output && (c.status === 'failed' || c.kind === 'failed-units') ? <pre className="mono">{c.output}</pre> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
