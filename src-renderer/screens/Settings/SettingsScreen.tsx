import { useState } from 'react';
import { client } from '../../client';
import { useAppStore } from '../../stores/app';
import { CacheSetting } from './CacheSetting';

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
          <EditorSetting editor={settings.editor} />
        </div>
      </div>
      <div className="card">
        <div className="card-body stack">
          <h2>Binary cache</h2>
          <CacheSetting />
        </div>
      </div>
    </div>
  );
}

/**
 * The editor the app starts to open a file at a line. Only the desktop window may change
 * it: in a browser the WebSocket bridge refuses the change (a page must never choose a
 * program the app runs), so it is shown read-only with how to change it.
 */
function EditorSetting({ editor }: { readonly editor: readonly string[] | undefined }) {
  const setEditor = useAppStore((s) => s.setEditor);
  const [error, setError] = useState<string | null>(null);
  const editable = client().bridge.kind === 'desktop';
  const shown = editor?.join(' ') ?? '';
  return (
    <>
      <label className="row">
        <span style={{ width: 180 }}>Editor command</span>
        {editable ? (
          <input
            className="input mono"
            style={{ flex: 1 }}
            data-testid="editor-input"
            placeholder="code --goto {file}:{line}"
            defaultValue={shown}
            onBlur={(e) => {
              const words = e.target.value.trim().split(/\s+/).filter(Boolean);
              setError(null);
              void setEditor(words.length > 0 ? words : null).catch((err: unknown) => setError((err as Error).message));
            }}
          />
        ) : (
          <code className="mono" data-testid="editor-readonly" style={{ flex: 1 }}>
            {shown || '$VISUAL, $EDITOR, or the system opener'}
          </code>
        )}
      </label>
      {error ? <div className="notice warn" role="alert">{error}</div> : null}
      <p className="faint">
        Used to open evaluation errors at their line. Default: $VISUAL, $EDITOR, or the system's opener.
        {editable ? null : (
          <>
            {' '}A browser page cannot choose programs the app runs: change it in the desktop app's Settings or with{' '}
            <code>fleet settings editor code --goto {'{file}:{line}'}</code>.
          </>
        )}
      </p>
    </>
  );
}
