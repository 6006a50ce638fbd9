import { useState } from 'react';
import type { DeployPreview } from '../../../src-main/core/api';
import { PackageTable } from './PackageTable';
import { summariseHostDiff, type HostDiffRun } from './summary';
import { useHostDiffs } from './use-host-diffs';
import './deploy-diff.css';

/** One host's line in the sheet: what changes, what it costs, whether it needs a reboot. */
function HostDiffRow({ target, run, nothingDeployed, buildHost }: { readonly target: string; readonly run: HostDiffRun | undefined; readonly nothingDeployed: boolean; readonly buildHost: string | undefined }) {
  const [open, setOpen] = useState(false);
  if (!run || run.state === 'queued' || run.state === 'starting' || run.state === 'running') {
    return (
      <li className="deploy-diff-host" data-testid="deploy-diff-host" data-target={target} data-state="running">
        <strong>{target}</strong>
        <span className="row muted">
          <span className="spinner" /> {run?.state === 'running' ? (buildHost ? `building on ${buildHost} and listing the host…` : 'building and listing the host…') : 'starting the closure diff…'}
        </span>
      </li>
    );
  }
  if (run.state === 'failed') {
    return (
      <li className="deploy-diff-host" data-testid="deploy-diff-host" data-target={target} data-state="failed">
        <strong>{target}</strong>
        <span className="deploy-diff-error">closure diff failed: {run.error}</span>
      </li>
    );
  }
  const summary = summariseHostDiff(run.report, { nothingDeployed });
  const diff = run.report.diff;
  return (
    <li className="deploy-diff-host" data-testid="deploy-diff-host" data-target={target} data-state={summary.state}>
      <strong>{target}</strong>
      <div className="deploy-diff-lines">
        <span className={summary.state === 'unknown' ? (nothingDeployed ? 'badge' : 'badge warn') : ''} data-testid="deploy-diff-packages-line" title={summary.why}>
          {summary.packages}
        </span>
        {summary.builtOn ? (
          <span className="badge" data-testid="deploy-diff-built-on">
            built on {summary.builtOn}
          </span>
        ) : null}
        {summary.size ? (
          <span className="muted" data-testid="deploy-diff-size">
            {summary.size}
          </span>
        ) : null}
        <span className="muted" data-testid="deploy-diff-copy">
          {summary.copy}
        </span>
        {summary.reboot ? (
          <span className="badge warn" data-testid="deploy-diff-reboot">
            {summary.reboot}
          </span>
        ) : null}
        {summary.state === 'unknown' && summary.why && !nothingDeployed ? <span className="faint deploy-diff-why">{summary.why}; the deploy is still possible.</span> : null}
      </div>
      {diff ? (
        <button type="button" className="btn deploy-diff-toggle" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="deploy-diff-toggle">
          {open ? 'Hide packages' : 'Packages'}
        </button>
      ) : null}
      {open && diff ? <PackageTable packages={diff.packages} rebuilt={diff.counts.rebuilt} /> : null}
    </li>
  );
}

/**
 * What the deploy changes on each online host, before anything is copied: a closure diff
 * per NixOS host (the checkout's build against what the host runs), one line each,
 * expandable to the package table. Homes and offline hosts are named, not diffed.
 */
export function DeployDiff({ preview }: { readonly preview: DeployPreview }) {
  const online = new Set(preview.hosts.filter((h) => h.online).map((h) => h.target));
  const empty = new Set(preview.hosts.filter((h) => h.online && !h.currentSystem).map((h) => h.target));
  const systems = preview.targets.filter((t) => t.kind === 'system' && online.has(t.id));
  const skipped = preview.targets.filter((t) => !systems.includes(t));
  const runs = useHostDiffs(systems.map((t) => t.config));
  if (preview.targets.length === 0) return null;
  return (
    <section className="deploy-diff stack" data-testid="deploy-diff" aria-label="What the deploy changes">
      <h3>What changes</h3>
      {systems.length > 0 ? (
        <ul className="deploy-diff-hosts">
          {systems.map((t) => (
            <HostDiffRow key={t.id} target={t.id} run={runs[t.config]} nothingDeployed={empty.has(t.id)} buildHost={t.buildHost} />
          ))}
        </ul>
      ) : null}
      {skipped.length > 0 ? (
        <p className="faint deploy-diff-skipped">
          No closure diff for {skipped.map((t) => t.id).join(', ')} ({skipped.some((t) => t.kind === 'home') ? 'homes are not compared here; ' : ''}offline hosts are skipped).
        </p>
      ) : null}
    </section>
  );
}
