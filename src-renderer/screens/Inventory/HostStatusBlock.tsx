import { useEffect, useState } from 'react';
import type { HostStatus } from '../../../src-main/core/api';
import { client } from '../../client';
import { Icon } from '../../components/Icon';
import { useHostStatusStore } from '../../stores/host-status';
import { FreshnessBadge, HostDot, RebootBadge, shortRevision } from './HostStatusView';
import { ago } from './LastDeploy';
import { Field } from './parts';

/** HEAD of the checkout (for "N commits behind"), read once per pane; undefined outside git. */
function useHead(refresh: string): string | undefined {
  const [head, setHead] = useState<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    client()
      .invoke('git.status', {})
      .then((repo) => live && setHead(repo.head))
      .catch(() => live && setHead(undefined));
    return () => {
      live = false;
    };
  }, [refresh]);
  return head;
}

/** The deployed revision against HEAD: "at HEAD", or how many commits behind (from the git domain's since-deployed report). */
function RevisionBehind({ host, revision, head }: { readonly host: string; readonly revision: string; readonly head: string | undefined }) {
  const key = head ? `${host} ${revision} ${head}` : '';
  const since = useHostStatusStore((s) => (key ? s.since[key] : undefined));
  const atHead = head !== undefined && revision === head;
  useEffect(() => {
    if (head && !atHead && !revision.endsWith('dirty')) useHostStatusStore.getState().sinceDeployed(host, revision, head);
  }, [host, revision, head, atHead]);
  if (revision.endsWith('dirty')) return <span className="muted"> · deployed from a dirty tree</span>;
  if (atHead) return <span className="muted" data-testid="host-behind"> · at HEAD</span>;
  if (!since || since.state === 'loading') return <span className="muted"> · comparing with HEAD…</span>;
  if (since.state === 'error') return <span className="muted" title={since.message}> · not compared with HEAD</span>;
  const { report } = since;
  if (report.state !== 'ok') return <span className="muted" data-testid="host-behind"> · {report.message ?? report.state}</span>;
  const n = report.commits.length;
  return (
    <span className="muted" data-testid="host-behind" title={report.commits.slice(0, 12).map((c) => `${c.hash.slice(0, 7)} ${c.subject}`).join('\n')}>
      {' '}· {n === 0 ? 'no commits behind HEAD' : `${n} commit${n === 1 ? '' : 's'} behind HEAD`}
      {report.files.length > 0 ? `, ${report.files.length} file${report.files.length === 1 ? '' : 's'} for it changed` : ''}
    </span>
  );
}

function Facts({ name, status, head }: { readonly name: string; readonly status: HostStatus; readonly head: string | undefined }) {
  if (!status.online) {
    return (
      <Field label="Reason">
        <span className="error-text" data-testid="host-error">
          {status.error ?? 'not reachable'}
        </span>
      </Field>
    );
  }
  return (
    <>
      <Field label="Generation">
        <span data-testid="host-generation">{status.generation ?? <span className="muted">none yet</span>}</span>
      </Field>
      <Field label="NixOS">{status.nixosVersion ? <span className="mono">{status.nixosVersion}</span> : <span className="muted">unknown</span>}</Field>
      <Field label="Revision">
        {status.configurationRevision ? (
          <>
            <span className="mono" title={status.configurationRevision} data-testid="host-revision">
              {shortRevision(status.configurationRevision)}
            </span>
            <RevisionBehind host={name} revision={status.configurationRevision} head={head} />
          </>
        ) : (
          <span className="muted">not reported (built without a flake revision)</span>
        )}
      </Field>
      <Field label="Vs checkout">
        {status.outOfDate === undefined ? <span className="muted">not compared (the flake could not be evaluated)</span> : <FreshnessBadge status={status} />}
        {status.currentSystem ? <div className="mono inv-small muted inv-store-path">{status.currentSystem}</div> : null}
      </Field>
      <Field label="Boot">
        {status.bootedSystem === undefined ? (
          <span className="muted">not reported (no /run/booted-system)</span>
        ) : status.needsReboot ? (
          <>
            <RebootBadge status={status} />
            <span className="muted inv-small" data-testid="host-reboot-reasons">
              {' '}
              {(status.rebootReasons ?? []).join('; ')}
            </span>
          </>
        ) : (
          <span className="muted" data-testid="host-boot-current">
            booted the current kernel
          </span>
        )}
      </Field>
      <Field label="Lock">{status.lock ? <span className="badge warn" data-testid="host-lock">held by {status.lock}</span> : <span className="muted">free</span>}</Field>
    </>
  );
}

/**
 * The host part of a system's detail pane: online, generation, NixOS version, deployed
 * revision against HEAD, out of date, lock holder, with a button to check again.
 */
export function HostStatusBlock({ name, refused }: { readonly name: string; readonly refused?: string }) {
  const status = useHostStatusStore((s) => s.byTarget[name]);
  const checking = useHostStatusStore((s) => s.checking[name] === true);
  const head = useHead(`${name} ${status?.checkedAt ?? 0}`);
  if (refused) return null;
  return (
    <section className="inv-host" data-testid="host-status-block" data-online={status ? (status.online ? 'yes' : 'no') : 'unknown'}>
      <h2 className="row">
        <span>Host</span>
        <span className="inv-grow" />
        <button className="btn inv-link" type="button" disabled={checking} onClick={() => void useHostStatusStore.getState().check([name])} data-testid="host-check" title="Read the host's status again over SSH">
          {checking ? <span className="spinner" /> : <Icon name="refresh" size={12} />} Check
        </button>
      </h2>
      <dl className="inv-fields">
        <Field label="State">
          <span className="row inv-inline">
            <HostDot status={status} checking={checking} />
            <span data-testid="host-state">{!status ? (checking ? 'checking…' : 'not checked yet') : status.online ? 'online' : 'offline'}</span>
            {status ? <span className="muted inv-small">checked {ago(status.checkedAt)}</span> : null}
          </span>
        </Field>
        {status ? <Facts name={name} status={status} head={head} /> : null}
      </dl>
    </section>
  );
}
