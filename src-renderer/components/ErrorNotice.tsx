/** What went wrong, with the core's hint under it when it gave one. */
export interface ErrorWithHint {
  readonly message: string;
  readonly hint?: string;
}

/** An error notice: the message, and the hint (what to do) beneath it. */
export function ErrorNotice({ error, testId, alert = false }: { error: ErrorWithHint; testId: string; alert?: boolean }) {
  return (
    <div className="notice err" data-testid={testId} {...(alert ? { role: 'alert' } : {})}>
      <div className="stack">
        <span>{error.message}</span>
        {error.hint ? <span className="muted">{error.hint}</span> : null}
      </div>
    </div>
  );
}
