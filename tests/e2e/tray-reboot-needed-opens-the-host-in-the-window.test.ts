import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyHomelab } from '../integration/build-homelab';
import { openCheckoutUi, type CheckoutUi } from './lab-ui';

// The renderer's half of a tray click on "Reboot needed: <host>". EMULATION: no Electron
// binary runs here, so the desktop shell's message (ui.open-host, sent by showInWindow in
// src-main/shell/tray-actions.ts; its own half is tests/unit/shell/clicking-reboot-needed-in-
// the-tray-opens-that-host.test.ts) is delivered through the browser bridge's socket instead
// of Electron's IPC. What is real: the built renderer in Chromium, its event wiring
// (stores/wiring.ts) and the Systems screen, on `fleet serve` with the example homelab.

/** Keeps the page's WebSockets reachable, so a test can hand the renderer an event as the shell would. */
const keepSockets = `
  (() => {
    const Original = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends Original {
      constructor(...args) {
        super(...args);
        window.__sockets.push(this);
      }
    };
  })();
`;

describe('"Reboot needed: <host>" from the tray, in the window (emulation: the shell message comes over the browser bridge)', () => {
  let ui: CheckoutUi | undefined;

  beforeAll(async () => {
    ui = await openCheckoutUi({ flake: copyHomelab(), route: '#/deploys', initScript: keepSockets });
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('emulation: a ui.open-host event from the shell opens that host in the Systems screen, from any screen', async () => {
    const { page } = ui!;
    await page.getByTestId('count-systems').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => location.hash)).toBe('#/deploys');
    await page.evaluate(() => {
      const sockets = (window as unknown as { __sockets: WebSocket[] }).__sockets;
      const socket = sockets.at(-1)!;
      socket.onmessage?.(new MessageEvent('message', { data: JSON.stringify({ event: { type: 'ui.open-host', target: 'zephyrus' } }) }));
    });
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: 30_000 }).toBe('#/systems/zephyrus');
    const detail = page.getByTestId('system-detail');
    await expect.poll(() => detail.getAttribute('data-name', { timeout: 1000 }).catch(() => null), { timeout: 30_000 }).toBe('zephyrus');
    expect(ui!.errors).toEqual([]);
  });
});
