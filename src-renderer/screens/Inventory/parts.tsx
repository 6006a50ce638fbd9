import type { ReactNode } from 'react';
import type { FlakeState, Inventory, InventoryWarning, SecretsFileStatus } from '../../../src-main/core/api';
import { Icon } from '../../components/Icon';

const flakeLabels: Record<FlakeState, { readonly label: string; readonly tone: string; readonly title: string }> = {
  'discovered-and-in-flake': { label: 'in flake', tone: 'ok', title: 'Found by the directory scan and in the flake outputs' },
  'in-flake-only': { label: 'flake only', tone: 'warn', title: 'In the flake outputs, but not found in the layout folders' },
  'discovered-only': { label: 'not in flake', tone: 'warn', title: 'Found in the layout folders, but nix does not list it' },
  unknown: { label: 'unchecked', tone: '', title: 'The flake has not been evaluated (yet)' },
};

/** Where an item stands against the flake's own outputs. */
export function FlakeBadge({ state }: { readonly state: FlakeState }) {
  const { label, tone, title } = flakeLabels[state];
  return (
    <span className={`badge ${tone}`} title={title} data-flake={state}>
      {label}
    </span>
  );
}

/** The warnings of one item, most severe first. */
export function WarningList({ warnings }: { readonly warnings: readonly InventoryWarning[] }) {
  if (warnings.length === 0) return null;
  const order = { error: 0, warning: 1, info: 2 } as const;
  const sorted = [...warnings].sort((a, b) => order[a.severity] - order[b.severity]);
  return (
    <ul className="inv-warnings" data-testid="item-warnings">
      {sorted.map((w, i) => (
        <li key={i} className={`inv-warning ${w.severity}`}>
          <Icon name="warning" size={14} />
          <span>{w.message}</span>
        </li>
      ))}
    </ul>
  );
}

/** A label/value row of a detail pane. */
export function Field({ label, children }: { readonly label: string; readonly children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

/** The names a recipient of each kind of item is usually given in .sops.yaml anchors and secrets.nix. */
const recipientNames = {
  system: (n: string) => [n, `host_${n}`, `host-${n}`, `server_${n}`],
  home: (n: string) => [n, `admin_${n}`, `user_${n}`],
  droid: (n: string) => [`droid_${n}`, `phone_${n}`, `droid-${n}`],
} as const;

/**
 * The secrets that concern an item: files inside its folder, and files it can decrypt
 * (a recipient named after it, e.g. the .sops.yaml anchor &host_moonlight).
 */
export function secretsFor(inventory: Inventory, kind: keyof typeof recipientNames, name: string, itemPath: string): SecretsFileStatus[] {
  const names = new Set(recipientNames[kind](name.toLowerCase()));
  return inventory.secrets.filter(
    (s) => (itemPath !== '' && s.path.startsWith(`${itemPath}/`)) || Object.values(s.labels ?? {}).some((label) => names.has(label.toLowerCase())),
  );
}

/** The secrets status table of a detail pane. */
export function SecretsList({ secrets }: { readonly secrets: readonly SecretsFileStatus[] }) {
  if (secrets.length === 0) return <p className="muted">No secrets files concern it.</p>;
  return (
    <ul className="inv-secrets" data-testid="item-secrets">
      {secrets.map((s) => {
        const stale = s.missingRecipients.length + s.extraRecipients.length > 0;
        return (
          <li key={s.path}>
            <div className="row">
              <span className="mono inv-grow">{s.path}</span>
              <span className="badge">{s.format}</span>
              {stale ? <span className="badge warn">needs updatekeys</span> : s.warnings.length > 0 ? <span className="badge warn">check</span> : <span className="badge ok">ok</span>}
            </div>
            <div className="muted inv-small">
              {s.recipients.length} recipient{s.recipients.length === 1 ? '' : 's'}
              {s.rule ? ` · rule ${s.rule}` : ' · no rule'}
              {s.lastModified ? ` · modified ${s.lastModified.slice(0, 10)}` : ''}
            </div>
            {s.missingRecipients.length > 0 ? (
              <div className="inv-small">Missing: {s.missingRecipients.map((r) => s.labels?.[r] ?? short(r)).join(', ')}</div>
            ) : null}
            {s.extraRecipients.length > 0 ? (
              <div className="inv-small">No longer listed: {s.extraRecipients.map((r) => s.labels?.[r] ?? short(r)).join(', ')}</div>
            ) : null}
            <WarningList warnings={s.warnings} />
          </li>
        );
      })}
    </ul>
  );
}

function short(key: string): string {
  return key.length > 20 ? `${key.slice(0, 10)}…${key.slice(-6)}` : key;
}
