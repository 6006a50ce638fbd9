import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, connectBridge, makeHomelab, runFleet, startServe, tempDir, writeFiles, type BridgeClient, type Served } from './world';

// Issue 13 case 5: through symlinks in a booby-trapped checkout, git.diff returned
// /etc/shadow and .git/config, and editor.open / the deploy target editor reached outside.
describe('requests never read or write outside the checkout', () => {
  let served: Served;
  let bridge: BridgeClient;
  let homelab: string;
  let outside: string;
  let record: string;
  const outsideMeta = '{ "system": "x86_64-linux", "secret": "outside-the-checkout" }\n';

  beforeAll(async () => {
    outside = tempDir('outside');
    writeFiles(outside, { 'tpl/keys/default.nix': '{ ... }: { }\n', 'tpl/keys/id_ed25519': 'PRIVATE KEY outside\n', 'evil/default.nix': '{ ... }: { }\n', 'evil/meta.json': outsideMeta, 'meta.json': outsideMeta, 'notes.txt': 'private notes outside\n' });
    homelab = makeHomelab(
      { 'systems/db/default.nix': '{ ... }: { }\n' },
      {
        commitAfter: {
          rootlink: { symlink: '/' },
          etclink: { symlink: '/etc' },
          outsidelink: { symlink: outside },
          inner: { symlink: 'systems' },
          'passwd-link': { symlink: '/etc/passwd' },
          'systems/evil': { symlink: path.join(outside, 'evil') },
          'systems/db/meta.json': { symlink: path.join(outside, 'meta.json') },
          'systems/web/new.nix': '# a new file\n',
          templates: { symlink: path.join(outside, 'tpl') },
          'systems/pipe.nix': { fifo: true },
        },
      },
    );
    const editorDir = tempDir('editor');
    const editor = path.join(editorDir, 'my-editor');
    record = path.join(editorDir, 'args.txt');
    fs.writeFileSync(editor, `#!/bin/sh\nprintf '%s\\n' "$@" >> ${JSON.stringify(record)}\n`, { mode: 0o755 });
    const dataDir = tempDir('data');
    expect((await runFleet(['settings', 'editor', editor], { dataDir })).code).toBe(0);
    served = await startServe({ flake: homelab, dataDir });
    bridge = await connectBridge(served);
  });
  afterAll(async () => {
    bridge.close();
    await served.close();
    cleanUp();
  });

  it('git.diff refuses paths through a symlink to / or /etc, and into .git/', async () => {
    for (const p of ['rootlink/etc/shadow', 'rootlink/etc/passwd', 'etclink/passwd', 'outsidelink/notes.txt', '.git/config', '.GIT/config', 'systems/../.git/config', 'inner/../.git/HEAD']) {
      const reply = await bridge.call('git.diff', { path: p });
      expect(reply.ok, p).toBe(false);
      expect(JSON.stringify(reply), p).not.toMatch(/root:x:0:0|repositoryformatversion|private notes/);
    }
  });

  it('git.diff refuses an untracked path under a symlinked folder even inside the checkout, and a FIFO, without hanging', async () => {
    expect(await bridge.call('git.diff', { path: 'inner/web/new.nix' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('symlinked folder') } });
    expect(await bridge.call('git.diff', { path: 'systems/pipe.nix' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('not a regular file') } });
  });

  it('git.diff still shows an untracked file of the checkout, and a symlinked file as its link, not its target', async () => {
    expect(await bridge.call('git.diff', { path: 'systems/web/new.nix' })).toMatchObject({ ok: true, result: { patch: expect.stringContaining('+# a new file') } });
    const link = await bridge.call('git.diff', { path: 'passwd-link' });
    expect(JSON.stringify(link)).not.toContain('root:x:0:0');
  });

  it('editor.open refuses a symlinked file or folder leading out of the checkout, and .git/', async () => {
    for (const file of [path.join(homelab, 'passwd-link'), path.join(homelab, 'etclink/passwd'), path.join(homelab, 'outsidelink/notes.txt'), path.join(homelab, '.git/config'), '/etc/passwd']) {
      expect(await bridge.call('editor.open', { file, line: 1 }), file).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    }
    expect(fs.existsSync(record)).toBe(false);
    expect(await bridge.call('editor.open', { file: path.join(homelab, 'systems/web/default.nix'), line: 1 })).toMatchObject({ ok: true });
  });

  it('the deploy target editor refuses a meta.json symlinked out of the checkout and leaves it untouched', async () => {
    const reply = await bridge.call('inventory.setDeployTarget', { system: 'db', deploy: { host: 'db.lan' } });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(JSON.stringify(reply)).not.toContain('outside-the-checkout');
    expect(fs.readFileSync(path.join(outside, 'meta.json'), 'utf8')).toBe(outsideMeta);
    expect(fs.lstatSync(path.join(homelab, 'systems/db/meta.json')).isSymbolicLink()).toBe(true);
  });

  it('a system folder symlinked out of the checkout is not listed and cannot be edited', async () => {
    const inventory = await bridge.call('inventory.get', {});
    expect(inventory.ok).toBe(true);
    const result = (inventory as { result: { systems: { name: string; meta: object }[]; warnings: { message: string }[] } }).result;
    expect(result.systems.map((s) => s.name)).toEqual(['db', 'web']);
    expect(result.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('systems/evil is a symlink to'));
    expect(result.systems.find((s) => s.name === 'db')?.meta).toEqual({});
    expect(JSON.stringify(result)).not.toContain('outside-the-checkout');
    expect(await bridge.call('inventory.setDeployTarget', { system: 'evil', deploy: { host: 'evil.lan' } })).toMatchObject({ ok: false });
    expect(fs.readFileSync(path.join(outside, 'evil/meta.json'), 'utf8')).toBe(outsideMeta);
  });

  it('"add from a template" refuses templates/ symlinked out of the checkout (it would copy and git add private files)', async () => {
    const reply = await bridge.call('inventory.add', { kind: 'system', name: 'newhost', template: 'keys' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-input', message: expect.stringContaining('outside the checkout') } });
    expect(fs.existsSync(path.join(homelab, 'systems/newhost'))).toBe(false);
  });

  it('the layout folder cannot be set outside the checkout, through .. or a symlink', async () => {
    expect(await bridge.call('settings.update', { layoutRoot: { root: homelab, layoutRoot: '/etc' } })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await bridge.call('inventory.setLayoutRoot', { layoutRoot: '../..' })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    const linked = await bridge.call('inventory.setLayoutRoot', { layoutRoot: 'outsidelink' });
    expect(linked).toMatchObject({ ok: true });
    const result = (linked as { result: { layoutRoot: string; warnings: { message: string }[] } }).result;
    expect(result.layoutRoot).toBe(homelab);
    expect(result.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('outside the checkout'));
    await bridge.call('inventory.setLayoutRoot', { layoutRoot: null });
  });
});
