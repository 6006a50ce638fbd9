import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src-main/core/core';
import { bindIpc, channels } from '../../src-main/shell/ipc';
import { cleanUp, connectBridge, makeHomelab, runFleet, startServe, tempDir, waitFor } from './world';

/** A real program that records the arguments it was started with (the "editor"). */
function recordingEditor(): { program: string; record: string } {
  const dir = tempDir('editor');
  const program = path.join(dir, 'my-editor');
  const record = path.join(dir, 'args.txt');
  fs.writeFileSync(program, `#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(record)}\n`, { mode: 0o755 });
  return { program, record };
}

// Issue 13 case 3: a page could set {editor: ["/bin/sh","-c",...]} and make the server run it.
describe('a browser page cannot choose the programs the app runs', () => {
  afterAll(() => cleanUp());

  it('the WebSocket bridge refuses settings.setEditor and settings.update {editor}; the settings file keeps the person\'s editor', async () => {
    const { program, record } = recordingEditor();
    const dataDir = tempDir('data');
    // The person sets the editor where they are at the keyboard: the real CLI.
    const set = await runFleet(['settings', 'editor', program, '--line={line}', '{file}'], { dataDir });
    expect(set.code).toBe(0);
    const homelab = makeHomelab();
    const served = await startServe({ flake: homelab, dataDir });
    const bridge = await connectBridge(served);
    try {
      const pwned = path.join(tempDir('pwned'), 'ran');
      const viaUpdate = await bridge.call('settings.update', { editor: ['/bin/sh', '-c', `touch ${pwned}`] });
      expect(viaUpdate).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      const viaSet = await bridge.call('settings.setEditor', { editor: ['/bin/sh', '-c', `touch ${pwned}`] });
      expect(viaSet).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      const viaReset = await bridge.call('settings.setEditor', { editor: null });
      expect(viaReset).toMatchObject({ ok: false, error: { code: 'forbidden' } });

      // editor.open from the page still opens a checkout file, with the person's editor only.
      const file = path.join(homelab, 'systems/web/default.nix');
      const opened = await bridge.call('editor.open', { file, line: 7 });
      expect(opened).toMatchObject({ ok: true, result: { command: [program, '--line=7', file] } });
      await waitFor(() => fs.existsSync(record), 'the editor to run');
      expect(fs.readFileSync(record, 'utf8')).toBe(`--line=7\n${file}\n`);
      expect(fs.existsSync(pwned)).toBe(false);
      const saved = JSON.parse(fs.readFileSync(path.join(dataDir, 'settings.json'), 'utf8')) as { editor?: string[] };
      expect(saved.editor).toEqual([program, '--line={line}', '{file}']);
    } finally {
      bridge.close();
      await served.close();
    }
  });

  it('the desktop window may set the editor through its IPC bridge (Electron ipcMain emulated: no Electron binary here)', async () => {
    const core = createCore({ host: 'desktop', dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sec-desktop-')) });
    const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
    const appUrl = 'file:///app/out/renderer/index.html';
    bindIpc({ handle: (channel: string, fn: never) => void handlers.set(channel, fn) } as never, {
      appUrl,
      invoke: (name, input) => core.invokeWire(name, input),
      pickFolder: async () => null,
      openExternal: async () => undefined,
    });
    const invoke = handlers.get(channels.invoke)!;
    try {
      const fromApp = await invoke({ senderFrame: { url: appUrl, parent: null } }, 'settings.setEditor', { editor: ['code', '--goto', '{file}:{line}'] });
      expect(fromApp).toMatchObject({ ok: true, result: { editor: ['code', '--goto', '{file}:{line}'] } });
      const fromFrame = await invoke({ senderFrame: { url: 'https://evil.example/', parent: null } }, 'settings.setEditor', { editor: ['/bin/sh'] });
      expect(fromFrame).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(core.context.settings.get().editor).toEqual(['code', '--goto', '{file}:{line}']);
    } finally {
      await core.dispose();
    }
  });

  it('an editor command of 4 MB, or with line breaks, is refused and not stored', async () => {
    const core = createCore({ host: 'desktop', dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-sec-desktop-')) });
    try {
      const huge = await core.invokeWire('settings.setEditor', { editor: ['x'.repeat(4 * 1024 * 1024)] });
      expect(huge).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      const many = await core.invokeWire('settings.setEditor', { editor: Array.from({ length: 1000 }, () => 'w') });
      expect(many).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      const newline = await core.invokeWire('settings.setEditor', { editor: ['vim\n-c'] });
      expect(newline).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      expect(core.context.settings.get().editor).toBeUndefined();
      expect(JSON.stringify(await core.invoke('settings.get', {})).length).toBeLessThan(10_000);
    } finally {
      await core.dispose();
    }
  });
});
