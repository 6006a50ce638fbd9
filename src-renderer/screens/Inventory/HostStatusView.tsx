import { memo } from 'react';
import type { HostStatus } from '../../../src-main/core/api';
import { useHostStatusStore } from '../../stores/host-status';
import { ago } from './LastDeploy';

type LastStatus = NonNullable<HostStatus['lastDeploy']>['status'];

/** The badge tone of a deploy outcome. */
export function outcomeTone(status: LastStatus): string {
  switch (status) {
    case 'succeeded':
      return 'ok';
    case 'running':
    case 'pending':
      return 'accent';
    case 'cancelled':
    case 'skipped':
      return 'warn';
    case 'failed':
    case 'rolled-back':
    case 'interrupted':
      return 'err';
  }
}

/** A short form of a git revision (configurationRevision may be "<hash>-dirty" or "dirty"). */
export function shortRevision(revision: string): string {
  const dirty = revision.endsWith('dirty');
  const hash = revision.replace(/-?dirty$/, '');
  return `${hash.slice(0, 7)}${dirty ? (hash ? '+dirty' : 'dirty') : ''}`;
}

/** What the dot of a host says, as text for its tooltip. */
export function dotTitle(status: HostStatus | undefined, checking: boolean): string {
  if (!status) return checking ? 'Checking the host…' : 'Not checked yet';
  if (!status.online) return `Offline: ${status.error ?? 'not reachable'}`;
  return `Online (${status.host}), checked ${ago(status.checkedAt)}`;
}

/** The online/offline dot of a host, with the reason in its tooltip. */
export function HostDot({ status, checking }: { readonly status: HostStatus | undefined; readonly checking: boolean }) {
  const tone = !status ? 'idle' : status.online ? 'ok' : 'err';
  return (
    <span
      className={`dot ${tone}${checking ? ' inv-dot-checking' : ''}`}
      title={dotTitle(status, checking)}
      aria-label={dotTitle(status, checking)}
      data-testid="host-dot"
      data-online={status ? (status.online ? 'yes' : 'no') : 'unknown'}
    />
  );
}

/** "out of date" / "up to date" against what the checkout builds; nothing when unknown. */
export function FreshnessBadge({ status }: { readonly status: HostStatus | undefined }) {
  if (!status?.online || status.outOfDate === undefined) return null;
  return status.outOfDate ? (
    <span className="badge warn" data-testid="host-freshness" data-state="out-of-date" title={`Runs ${status.currentSystem ?? 'nothing yet'}\nThe checkout builds ${status.wantedSystem ?? '?'}`}>
      out of date
    </span>
  ) : (
    <span className="badge ok" data-testid="host-freshness" data-state="up-to-date" title={`Runs what the checkout builds: ${status.currentSystem ?? ''}`}>
      up to date
    </span>
  );
}

/** "reboot needed" when the host's booted kernel, initrd or modules are not its current system's; nothing otherwise. */
export function RebootBadge({ status }: { readonly status: HostStatus | undefined }) {
  if (!status?.online || !status.needsReboot) return null;
  return (
    <span className="badge warn" data-testid="host-reboot" title={`Reboot needed: ${(status.rebootReasons ?? []).join('; ')}\nBooted ${status.bootedSystem ?? '?'}`}>
      reboot needed
    </span>
  );
}

/**
 * The live status of one system's row: its dot, generation, revision, freshness and last
 * deploy. Each row subscribes to its own host only, so a status event re-renders the rows
 * whose host changed, not the whole list.
 */
export const SystemRowStatus = memo(function SystemRowStatus({ name, fallback }: { readonly name: string; readonly fallback: string }) {
  const status = useHostStatusStore((s) => s.byTarget[name]);
  const checking = useHostStatusStore((s) => s.checking[name] === true);
  const deploying = useHostStatusStore((s) => s.deploying[name]);
  const parts: string[] = [];
  if (status?.online) {
    parts.push(status.generation !== undefined ? `gen ${status.generation}` : 'no generation');
    if (status.configurationRevision) parts.push(shortRevision(status.configurationRevision));
  } else if (status) parts.push('offline');
  return (
    <div className="inv-row-sub muted" data-testid="host-status" data-target={name} data-checking={checking ? 'yes' : 'no'}>
      <HostDot status={status} checking={checking} />
      <span className="inv-status-text">
        {deploying ? (
          <span className="inv-accent">deploying… · </span>
        ) : checking && !status ? (
          <span>checking… · </span>
        ) : null}
        {parts.length > 0 ? <span data-testid="host-facts">{parts.join(' · ')} · </span> : null}
        {fallback}
      </span>
    </div>
  );
});

const lastText: Record<LastStatus, string> = {
  succeeded: '✓ deployed',
  failed: '✕ deploy failed',
  'rolled-back': '✕ rolled back',
  interrupted: '✕ interrupted',
  cancelled: 'deploy cancelled',
  skipped: 'deploy skipped',
  running: 'deploying…',
  pending: 'deploying…',
};

/** The right side of a system row: freshness and the last deploy's outcome. */
export const SystemRowBadges = memo(function SystemRowBadges({ name }: { readonly name: string }) {
  const status = useHostStatusStore((s) => s.byTarget[name]);
  const last = status?.lastDeploy;
  return (
    <>
      <RebootBadge status={status} />
      <FreshnessBadge status={status} />
      {last ? (
        <span className={`badge ${outcomeTone(last.status)} inv-last`} data-testid="host-last-deploy" data-status={last.status} title={`Last deploy ${last.status}, ${ago(last.at)}`}>
          {lastText[last.status]}
        </span>
      ) : null}
    </>
  );
});
