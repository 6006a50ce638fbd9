import type { DeployCheck, DeployTargetSpec } from '../../../src-main/core/api';

/** How a check reads in the sheet (the same words as the CLI and the deploy log). */
export function checkText(check: DeployCheck): string {
  switch (check.kind) {
    case 'unit':
      return `unit ${check.unit} is active`;
    case 'command':
      return `command ${check.command.join(' ')} succeeds on the host`;
    case 'http':
      return `${check.url} answers ${check.status} (from this machine)`;
  }
}

/**
 * The health checks a deploy will run after the switch, per system: meta.json deploy.checks,
 * then "no unit newly failed" for every system. Shown only when the checks apply (switch or test).
 */
export function DeployChecks({ targets, mode, skip, reboot = false }: { readonly targets: readonly DeployTargetSpec[]; readonly mode: string; readonly skip: boolean; readonly reboot?: boolean }) {
  const systems = targets.filter((t) => t.kind === 'system');
  if (systems.length === 0) return null;
  const applies = reboot || mode === 'switch' || mode === 'test';
  return (
    <div className="deploy-sheet-checks" data-testid="deploy-sheet-checks" data-skipped={skip || !applies ? 'yes' : 'no'}>
      <div className="muted">
        {reboot ? 'Health checks once the host is back from its reboot' : 'Health checks after the switch'}
        {skip ? ' (skipped)' : !applies ? ' (only for switch and test)' : ''}
        {reboot ? '; a failed check is reported (going back would take another reboot):' : '; a failed check rolls the host back:'}
      </div>
      <ul>
        {systems.map((t) => (
          <li key={t.id} data-testid="deploy-sheet-check-target" data-target={t.id}>
            <strong>{t.id}</strong>:{' '}
            {t.checks.map((c, i) => (
              <span key={i} className="deploy-sheet-check" data-testid="deploy-sheet-check">
                {checkText(c)};{' '}
              </span>
            ))}
            <span className="faint">no unit newly failed</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
