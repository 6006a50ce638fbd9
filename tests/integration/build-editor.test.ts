import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FleetError } from '../../src-main/core/contract';
import { copyHomelab, openCore, testEnv } from './build-homelab';

// "Open in editor" for an error location: a real editor process (a script that records
// the arguments it was started with), chosen from settings or $VISUAL.
describe('editor.open', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const tools = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-editor-'));
  dirs.push(tools);
  const editor = path.join(tools, 'my-editor');
  const record = path.join(tools, 'args.txt');
  fs.writeFileSync(editor, `#!/bin/sh\nprintf '%s\\n' "$@" > "$FLEET_TEST_EDITOR_OUT"\n`, { mode: 0o755 });

  async function waitForRecord(): Promise<string[]> {
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(record)) {
      if (Date.now() > deadline) throw new Error('the editor never ran');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 50));
    const args = fs.readFileSync(record, 'utf8').trimEnd().split('\n');
    fs.rmSync(record);
    return args;
  }

  it('opens a checkout file at a line with the editor from settings, then $VISUAL', async () => {
    const root = copyHomelab();
    dirs.push(root);
    const file = path.join(root, 'systems/moonlight/default.nix');
    const session = openCore(root, { ...testEnv, FLEET_TEST_EDITOR_OUT: record, VISUAL: editor });
    try {
      await session.core.invoke('settings.setEditor', { editor: [editor, '--goto', '{file}:{line}:{column}'] });
      const reply = (await session.core.invoke('editor.open', { file, line: 12, column: 3 })) as { command: string[] };
      expect(reply.command).toEqual([editor, '--goto', `${file}:12:3`]);
      expect(await waitForRecord()).toEqual(['--goto', `${file}:12:3`]);

      // Settings without an editor: $VISUAL, an unknown program, gets the file alone.
      session.core.context.settings.update((s) => ({ ...s, editor: undefined }));
      await session.core.invoke('editor.open', { file, line: 4 });
      expect(await waitForRecord()).toEqual([file]);

      const outside = await session.core.invoke('editor.open', { file: '/etc/passwd', line: 1 }).catch((e: unknown) => e);
      expect((outside as FleetError).code).toBe('invalid-input');
      expect(fs.existsSync(record)).toBe(false);
    } finally {
      await session.close();
    }
  });

  it('reports an editor that cannot start or fails at once, instead of success', async () => {
    const root = copyHomelab();
    dirs.push(root);
    const file = path.join(root, 'systems/moonlight/default.nix');
    // A real program whose interpreter is missing (spawn fails), and one that exits 2 at once.
    const broken = path.join(tools, 'broken-editor');
    fs.writeFileSync(broken, '#!/nonexistent/interpreter\n', { mode: 0o755 });
    const failing = path.join(tools, 'failing-editor');
    fs.writeFileSync(failing, '#!/bin/sh\necho "cannot open display" >&2\nexit 2\n', { mode: 0o755 });
    const session = openCore(root, testEnv);
    try {
      await session.core.invoke('settings.setEditor', { editor: [broken, '{file}'] });
      const notStarted = (await session.core.invoke('editor.open', { file, line: 1 }).catch((e: unknown) => e)) as FleetError;
      expect(notStarted.code).toBe('editor-failed');
      expect(notStarted.message).toMatch(/could not be started/);
      await session.core.invoke('settings.setEditor', { editor: [failing, '{file}'] });
      const exited = (await session.core.invoke('editor.open', { file, line: 1 }).catch((e: unknown) => e)) as FleetError;
      expect(exited.code).toBe('editor-failed');
      expect(exited.message).toMatch(/exited with status 2/);
    } finally {
      await session.close();
    }
  });
});
