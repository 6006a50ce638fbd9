import { createRoot } from 'react-dom/client';
import { StrictMode } from 'react';
import './styles/theme.css';
import './styles/app.css';
import { App } from './App';
import { useAppStore } from './stores/app';
import { wireStores } from './stores/wiring';

wireStores();
void useAppStore
  .getState()
  .init()
  .catch((error: unknown) => {
    useAppStore.setState({
      ready: true,
      route: 'open',
      openError: { message: `Could not reach the core: ${(error as Error).message}` },
    });
  });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
