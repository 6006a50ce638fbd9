import { useAppStore } from '../stores/app';
import { Icon } from './Icon';

/** The open checkout: its name, path, branch and whether it has uncommitted changes. */
export function Header() {
  const checkout = useAppStore((s) => s.checkout);
  const navigate = useAppStore((s) => s.navigate);
  const refresh = useAppStore((s) => s.refreshCheckout);
  return (
    <header className="header" data-testid="header">
      <Icon name="folder" size={20} />
      {checkout ? (
        <div className="checkout">
          <div className="checkout-name">
            <span data-testid="checkout-name">{checkout.name}</span>
            {checkout.branch ? (
              <span className="badge" data-testid="checkout-branch" title="Branch">
                <Icon name="branch" size={12} />
                {checkout.branch}
              </span>
            ) : checkout.detached ? (
              <span className="badge warn" title={checkout.head}>detached at {checkout.head?.slice(0, 8)}</span>
            ) : null}
            {checkout.isGit ? (
              checkout.dirty ? (
                <span className="badge warn" data-testid="checkout-dirty" title="Uncommitted changes">
                  {checkout.changedFiles} changed
                </span>
              ) : (
                <span className="badge ok" data-testid="checkout-clean">clean</span>
              )
            ) : (
              <span className="badge err">not a git repository</span>
            )}
            {checkout.ahead ? <span className="badge">↑{checkout.ahead}</span> : null}
            {checkout.behind ? <span className="badge">↓{checkout.behind}</span> : null}
          </div>
          <div className="checkout-path" title={checkout.root}>{checkout.root}</div>
        </div>
      ) : (
        <div className="checkout">
          <div className="checkout-name">No homelab open</div>
        </div>
      )}
      <div className="spacer" />
      {checkout ? (
        <button className="btn" onClick={() => void refresh()} title="Refresh git status">
          <Icon name="refresh" size={14} />
        </button>
      ) : null}
      <button className="btn" data-testid="open-homelab" onClick={() => navigate('open')}>
        <Icon name="folder" size={14} /> Open homelab…
      </button>
    </header>
  );
}
