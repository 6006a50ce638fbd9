import { useEffect, useState } from 'react';
import type { DeployCopyPlan, PathAmount, TargetCopyPlan } from '../../../src-main/core/api';
import { formatBytes } from '../../../src-main/shared/units';
import { useDeployStore } from '../../stores/deploy';
import { builtWhere } from '../JobPanel/format';

function Amount({ value, testId }: { readonly value: PathAmount | undefined; readonly testId: string }) {
  if (!value || value.paths === 0) return <td className="faint" data-testid={testId} data-paths="0">—</td>;
  return (
    <td data-testid={testId} data-paths={value.paths}>
      {formatBytes(value.bytes)}
      <div className="faint">{value.paths} paths</div>
    </td>
  );
}

function CacheTrust({ t }: { readonly t: TargetCopyPlan }) {
  if (!t.online) return <span className="badge err">offline</span>;
  if (!t.cache) return <span className="faint">no cache set</span>;
  if (t.cache.trustsKey && t.cache.usesCache) return <span className="badge ok" data-testid="sources-trust" data-trusts="yes">trusts the cache</span>;
  return (
    <span className="badge warn" data-testid="sources-trust" data-trusts="no" title={t.cache.error}>
      {t.cache.trustsKey ? 'cache not a substituter' : 'does not trust the key'}
    </span>
  );
}

const words = (a: PathAmount | undefined) => (a && a.paths > 0 ? `${formatBytes(a.bytes)} (${a.paths} paths)` : 'nothing');

/** One target's sources as lines, for a narrow pane (the host detail). */
function CompactSource({ t }: { readonly t: TargetCopyPlan }) {
  return (
    <div className="deploy-source-compact stack" data-testid="deploy-source" data-target={t.target} data-source={t.source} data-built-on={t.builtOn}>
      <div className="row">
        <CacheTrust t={t} />
        <span className="muted">{builtWhere(t.builtOn)}</span>
      </div>
      {t.closure ? (
        <dl className="deploy-source-amounts">
          <dt>On the host</dt>
          <dd data-testid="source-on-host" data-paths={t.onHost?.paths ?? 0}>{words(t.onHost)}</dd>
          <dt>From the cache</dt>
          <dd data-testid="source-cache" data-paths={t.fromCache?.paths ?? 0}>{words(t.fromCache)}</dd>
          <dt>From the build host</dt>
          <dd data-testid="source-build-host" data-paths={t.fromBuildHost?.paths ?? 0}>{words(t.fromBuildHost)}</dd>
          <dt>From here</dt>
          <dd data-testid="source-here" data-paths={t.fromHere?.paths ?? 0}>{words(t.fromHere)}</dd>
        </dl>
      ) : null}
      <div className="muted" data-testid="source-summary">
        {t.online ? t.summary : (t.error ?? t.summary)}
      </div>
    </div>
  );
}

/**
 * Where each host's closure would come from, read before the deploy without changing
 * anything: where it is built, whether the host trusts the homelab's cache (its nix.conf),
 * and what the host has, would fetch from the cache, or get from its build host or here.
 */
export function DeploySources({ targets, asUser, compact = false }: { readonly targets: readonly string[]; readonly asUser?: string; readonly compact?: boolean }) {
  const [plan, setPlan] = useState<DeployCopyPlan | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const key = `${targets.join(' ')}\0${asUser ?? ''}`;
  useEffect(() => {
    let live = true;
    setPlan(null);
    setProblem(null);
    useDeployStore
      .getState()
      .plan(targets, asUser)
      .then((p) => live && setPlan(p))
      .catch((e: Error) => live && setProblem(e.message));
    return () => {
      live = false;
    };
  }, [key]);
  if (targets.every((t) => t.startsWith('droid:'))) return null;
  return (
    <div className="deploy-sources" data-testid="deploy-sources">
      <div className="muted">
        {compact ? (
          plan?.cache ? (
            <>
              Binary cache <code>{plan.cache.url}</code>:
            </>
          ) : plan ? (
            'No binary cache set:'
          ) : null
        ) : (
          <>
            Where each closure comes from{plan?.cache ? <> (cache <code>{plan.cache.url}</code>)</> : plan ? ' (no binary cache set)' : ''}:
          </>
        )}
      </div>
      {problem ? <div className="notice warn" data-testid="deploy-sources-error">Could not read where the closures would come from: {problem}</div> : null}
      {!plan && !problem ? (
        <div className="row muted">
          <span className="spinner" /> Asking each host what it has…
        </div>
      ) : null}
      {plan && compact ? plan.targets.map((t) => <CompactSource key={t.target} t={t} />) : null}
      {plan && !compact ? (
        <table className="grid deploy-sources-table">
          <thead>
            <tr>
              <th>Target</th>
              <th>Cache</th>
              <th>On the host</th>
              <th>From the cache</th>
              <th>From the build host</th>
              <th>From here</th>
            </tr>
          </thead>
          <tbody>
            {plan.targets.map((t) => (
              <tr key={t.target} data-testid="deploy-source" data-target={t.target} data-source={t.source} data-built-on={t.builtOn}>
                <td>
                  <strong>{t.target}</strong>
                  <div className="faint">{builtWhere(t.builtOn)}</div>
                </td>
                <td>
                  <CacheTrust t={t} />
                </td>
                {t.closure ? (
                  <>
                    <Amount value={t.onHost} testId="source-on-host" />
                    <Amount value={t.fromCache} testId="source-cache" />
                    <Amount value={t.fromBuildHost} testId="source-build-host" />
                    <Amount value={t.fromHere} testId="source-here" />
                  </>
                ) : (
                  <td colSpan={4} className="muted" data-testid="source-summary">
                    {t.online ? t.summary : (t.error ?? t.summary)}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
