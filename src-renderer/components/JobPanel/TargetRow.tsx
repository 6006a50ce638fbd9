import type { TargetProgress } from '../../../src-main/core/api';
import { DerivationLog } from './DerivationLog';
import { formatBytes } from '../../../src-main/shared/units';
import { buildHostOf, builtWhere, formatDuration } from './format';
import { ProgressBar } from './ProgressBar';

const tones = { succeeded: 'ok', failed: 'err', cancelled: 'warn', running: 'accent', pending: 'accent', skipped: 'warn', 'rolled-back': 'warn' } as const;

function fractionOf(t: TargetProgress): number | undefined {
  if (t.status === 'pending') return 0;
  if (t.status !== 'running') return 1;
  if (!t.total) return t.stage === 'evaluate' ? undefined : 0;
  return (t.done ?? 0) / t.total;
}

/** One target of a job: its bar, counts, running derivations with phases, failures. */
export function TargetRow({ target, now }: { readonly target: TargetProgress; readonly now: number }) {
  const t = target;
  const counts: string[] = [];
  if (t.total) counts.push(`built ${t.done ?? 0}/${t.total}${t.failed ? `, ${t.failed} failed` : ''}`);
  if (t.downloadsTotal) counts.push(`fetched ${t.downloadsDone ?? 0}/${t.downloadsTotal}`);
  if (t.bytesTotal) counts.push(`${formatBytes(t.bytesDone ?? 0)} / ${formatBytes(t.bytesTotal)}`);
  if (t.status === 'running' && t.stage === 'evaluate') counts.push('evaluating');
  if (t.status === 'pending') counts.push('waiting');
  const buildHost = buildHostOf(t.builtOn);
  const elapsed = t.startedAt ? formatDuration((t.finishedAt ?? now) - t.startedAt) : undefined;
  return (
    <div className={`job-target status-${t.status}`} data-testid="job-target" data-target={t.target} data-status={t.status}>
      <div className="job-target-head">
        <span className="job-target-name">{t.target}</span>
        <span className={`badge ${tones[t.status]}`}>{t.status}</span>
        {t.builtOn ? (
          <span className="badge" data-testid="job-target-built-on" data-built-on={t.builtOn}>
            {builtWhere(t.builtOn)}
          </span>
        ) : null}
        <span className="muted job-counts">{counts.join(' · ')}</span>
        <span className="job-spacer" />
        {elapsed ? <span className="faint job-time">{elapsed}</span> : null}
      </div>
      <ProgressBar fraction={fractionOf(t)} tone={tones[t.status]} label={`${t.target} progress`} />
      {t.status === 'running' && t.running && t.running.length > 0 ? (
        <ul className="job-running">
          {t.running.map((r) => (
            <li key={r.drv}>
              <span className="spinner small" />
              <span className="mono">{r.name}</span>
              {r.phase ? <span className="badge">{r.phase}</span> : null}
              <span className="faint">{formatDuration(now - r.startedAt)}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {t.outPath ? (
        <div className="job-out mono" data-testid="job-outpath">
          {t.outPath}
          {t.closureSize !== undefined ? <span className="faint"> · closure {formatBytes(t.closureSize)}</span> : null}
        </div>
      ) : null}
      {t.status !== 'running' && t.message && t.status !== 'succeeded' ? <div className="error-text job-message">{t.message}</div> : null}
      {(t.failedDerivations ?? []).map((f) => (
        <div className="job-failure" key={f.drv}>
          <div>
            <strong>{f.name}</strong> failed{buildHost ? ` on ${buildHost}` : ''}. Last lines of its log:
          </div>
          <pre className="mono">{f.logTail.length > 0 ? f.logTail.join('\n') : '(no output)'}</pre>
          <div className="row faint">
            <span>
              Whole log: <code>{buildHost ? `ssh ${buildHost} ` : ''}nix log {f.drv}</code>
            </span>
            {/* The log is in the build host's store: this machine's `nix log` does not have it. */}
            {buildHost ? null : <DerivationLog drv={f.drv} />}
          </div>
        </div>
      ))}
    </div>
  );
}
