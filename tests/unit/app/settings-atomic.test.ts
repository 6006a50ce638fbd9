import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingsStore } from '../../../src-main/core/settings/settings';
import { writeFileAtomic } from '../../../src-main/core/settings/atomic-file';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-settings-'));
}

describe('settings are written atomically', () => {
  it('remembers recent checkouts across restarts, most recent first, without duplicates', () => {
    const dir = tempDir();
    const a = new SettingsStore(dir);
    a.openCheckout('/srv/homelab');
    a.openCheckout('/home/me/lab');
    a.openCheckout('/srv/homelab');
    const b = new SettingsStore(dir);
    expect(b.get().recent).toEqual(['/srv/homelab', '/home/me/lab']);
    expect(b.get().current).toBe('/srv/homelab');
  });

  it('survives a crash between write and rename: the old settings stay, the temp file is cleaned up', () => {
    const dir = tempDir();
    const store = new SettingsStore(dir);
    store.openCheckout('/srv/homelab');
    // Simulate the crash: the new content reached a temp file, the rename never happened.
    const file = path.join(dir, 'settings.json');
    const temp = path.join(dir, `.settings.json.999.deadbeef.tmp`);
    fs.writeFileSync(temp, '{"version":1,"recent":["/half/written"');
    const after = new SettingsStore(dir);
    expect(after.get().recent).toEqual(['/srv/homelab']);
    expect(after.problem).toBeUndefined();
    expect(fs.existsSync(temp)).toBe(false);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).recent).toEqual(['/srv/homelab']);
  });

  it('never leaves a torn file: the target is either old or new', () => {
    const dir = tempDir();
    const file = path.join(dir, 'x.json');
    writeFileAtomic(file, 'old');
    writeFileAtomic(file, 'new');
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.readdirSync(dir)).toEqual(['x.json']);
  });

  it('keeps an unreadable settings file aside and says so, instead of crashing or silently losing it', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'settings.json'), '{ not json');
    const store = new SettingsStore(dir);
    expect(store.get().recent).toEqual([]);
    expect(store.problem).toMatch(/not valid JSON/);
    expect(fs.readdirSync(dir).some((f) => f.startsWith('settings.json.broken-'))).toBe(true);
  });

  it('rejects settings of the wrong shape with the field named', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ version: 1, recent: 'nope' }));
    const store = new SettingsStore(dir);
    expect(store.problem).toMatch(/recent/);
  });
});
