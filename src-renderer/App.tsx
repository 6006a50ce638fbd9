import { useEffect } from 'react';
import { useAppStore } from './stores/app';
import { Sidebar } from './components/Sidebar';
import { Header } from './components/Header';
import { screens } from './screens/registry';
import { PromptSheet } from './components/PromptSheet';

/** Follow the Theme setting: 'system' lets the OS decide through prefers-color-scheme. */
function useTheme() {
  const theme = useAppStore((s) => s.settings?.theme ?? 'system');
  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);
}

export function App() {
  const ready = useAppStore((s) => s.ready);
  const route = useAppStore((s) => s.route);
  useTheme();
  const Screen = screens[route];
  return (
    <div className="app">
      <Sidebar />
      <main className="main">
        <Header />
        <div className="content" data-testid={`screen-${route}`}>
          {!ready ? (
            <div className="empty">
              <span className="spinner" /> Loading…
            </div>
          ) : Screen ? (
            <Screen />
          ) : (
            <div className="empty">
              <h2>Nothing here yet</h2>
            </div>
          )}
        </div>
      </main>
      <PromptSheet />
    </div>
  );
}
