import { useAppStore } from '../../stores/app';

/** App settings: theme, build concurrency, deploy defaults. Saved at once, atomically. */
export function SettingsScreen() {
  const settings = useAppStore((s) => s.settings);
  const info = useAppStore((s) => s.info);
  const update = useAppStore((s) => s.updateSettings);
  if (!settings) return <div className="empty"><span className="spinner" /></div>;
  return (
    <div className="page" data-testid="settings-screen">
      <h1>Settings</h1>
      <p className="lede">Saved as you change them, in {info?.dataDir}/settings.json.</p>
      {info?.settingsProblem ? <div className="notice warn" role="alert">{info.settingsProblem}</div> : null}
      <div className="card">
        <div className="card-body stack">
          <h2>Appearance</h2>
          <label className="row">
            <span style={{ width: 180 }}>Theme</span>
            <select
              className="input"
              data-testid="theme-select"
              value={settings.theme}
              onChange={(e) => void update({ theme: e.target.value as 'system' | 'light' | 'dark' })}
            >
              <option value="system">Follow the system</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
        </div>
      </div>
      <div className="card">
        <div className="card-body stack">
          <h2>Builds</h2>
          <label className="row">
            <span style={{ width: 180 }}>Builds at once</span>
            <input
              className="input"
              type="number"
              min={1}
              max={64}
              value={settings.buildConcurrency}
              onChange={(e) => {
                const n = Number(e.target.value);
                if (Number.isInteger(n) && n >= 1 && n <= 64) void update({ buildConcurrency: n });
              }}
            />
          </label>
          <label className="row">
            <span style={{ width: 180 }}>Editor command</span>
            <input
              className="input mono"
              style={{ flex: 1 }}
              placeholder="code --goto {file}:{line}"
              defaultValue={settings.editor?.join(' ') ?? ''}
              onBlur={(e) => {
                const words = e.target.value.trim().split(/\s+/).filter(Boolean);
                if (words.length > 0) void update({ editor: words });
              }}
            />
          </label>
          <p className="faint">Used to open evaluation errors at their line. Default: $VISUAL, $EDITOR, or the system's opener.</p>
        </div>
      </div>
    </div>
  );
}
