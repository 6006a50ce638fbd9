import { useAppStore, type Route } from '../stores/app';
import { useInventoryStore } from '../stores/inventory';
import { Icon, type IconName } from './Icon';
import { screens } from '../screens/registry';

interface NavEntry {
  readonly route: Route;
  readonly label: string;
  readonly icon: IconName;
  readonly count?: number;
}

/** The left column: the machines the homelab holds, with counts, then the app's places. */
export function Sidebar() {
  const route = useAppStore((s) => s.route);
  const navigate = useAppStore((s) => s.navigate);
  const connected = useAppStore((s) => s.connected);
  const inventory = useInventoryStore((s) => s.inventory);
  const machines: NavEntry[] = [
    { route: 'systems', label: 'Systems', icon: 'server', ...(inventory ? { count: inventory.systems.length } : {}) },
    { route: 'homes', label: 'Homes', icon: 'home', ...(inventory ? { count: inventory.standaloneHomes.length } : {}) },
    { route: 'droids', label: 'Droids', icon: 'phone', ...(inventory ? { count: inventory.droids.length } : {}) },
  ];
  const places = (
    [
    { route: 'changes', label: 'Changes', icon: 'changes' },
    { route: 'builds', label: 'Builds', icon: 'play' },
    { route: 'deploys', label: 'Deploys', icon: 'deploy' },
    { route: 'settings', label: 'Settings', icon: 'settings' },
    ] satisfies NavEntry[]
  ).filter((entry) => screens[entry.route] !== undefined);
  const item = (entry: NavEntry) => (
    <button
      key={entry.route}
      className="nav-item"
      data-testid={`nav-${entry.route}`}
      aria-current={route === entry.route ? 'page' : undefined}
      onClick={() => navigate(entry.route)}
    >
      <Icon name={entry.icon} />
      <span className="label">{entry.label}</span>
      {entry.count !== undefined ? (
        <span className="count" data-testid={`count-${entry.route}`}>
          {entry.count}
        </span>
      ) : null}
    </button>
  );
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <img src="./icon.svg" alt="" />
        Homelab Fleet
      </div>
      <div className="nav">
        <div className="nav-section">Homelab</div>
        {machines.map(item)}
        <div className="nav-section">Work</div>
        {places.map(item)}
      </div>
      <div className="sidebar-footer">
        <span className={`dot ${connected ? 'ok' : 'err'}`} />
        {connected ? 'Core connected' : 'Reconnecting to the core…'}
      </div>
    </nav>
  );
}
