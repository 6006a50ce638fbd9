import { createRoot } from 'react-dom/client';
import { StrictMode } from 'react';
import './styles/theme.css';
import './styles/app.css';
import { App } from './App';
import { useAppStore } from './stores/app';
import { wireStores } from './stores/wiring';
import { useInventoryStore } from './stores/inventory';
import { usePromptsStore } from './stores/prompts';

wireStores();
void useAppStore
  .getState()
  .init()
  .then(() => {
    // The sidebar counts come from the inventory: load it whatever screen opens first.
    if (useAppStore.getState().checkout) void useInventoryStore.getState().load();
    void usePromptsStore.getState().load();
  })
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
