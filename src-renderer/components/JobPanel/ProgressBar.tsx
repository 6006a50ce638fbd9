/** A thin bar for a fraction 0..1 (indeterminate when undefined). */
export function ProgressBar({ fraction, tone = 'accent', label }: { readonly fraction?: number; readonly tone?: 'accent' | 'ok' | 'err' | 'warn'; readonly label: string }) {
  const pct = fraction === undefined ? undefined : Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  return (
    <div
      className={`job-bar ${tone}${pct === undefined ? ' indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      {...(pct !== undefined ? { 'aria-valuenow': pct } : {})}
    >
      <div className="job-bar-fill" style={{ width: pct === undefined ? '30%' : `${pct}%` }} />
    </div>
  );
}
