import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '../..');

// The real inotify limit, lowered for one process only: a user namespace of its own has its
// own /proc/sys/user/max_inotify_watches, so nothing else on the machine is touched.
describe('live refresh when the checkout cannot be watched', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-watch-limit-'));
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('says so as an event and as a warning of the inventory instead of stopping silently', async () => {
    const checkout = path.join(base, 'homelab');
    fs.cpSync(path.join(repo, 'flake'), checkout, { recursive: true });
    const script = `
      import { createCore } from ${JSON.stringify(path.join(repo, 'src-main/core/core.ts'))};
      const core = createCore({ host: 'server', dataDir: ${JSON.stringify(path.join(base, 'data'))} });
      const timer = setTimeout(() => { console.log(JSON.stringify({ timeout: true })); process.exit(1); }, 30000);
      core.subscribe((event) => {
        if (event.type !== 'inventory.changed') {
          if (event.type === 'inventory.watch-failed') console.log(JSON.stringify({ event }));
          return;
        }
        const warning = event.inventory.warnings.find((w) => w.message.startsWith('Live refresh stopped'));
        if (warning) { clearTimeout(timer); console.log(JSON.stringify({ warning })); void core.dispose().then(() => process.exit(0)); }
      });
      await core.invoke('checkout.open', { path: ${JSON.stringify(checkout)} });
      await core.invoke('inventory.get', {});
    `;
    const child = spawn(
      'unshare',
      ['-U', '-r', 'sh', '-c', 'echo 4 > /proc/sys/user/max_inotify_watches && exec "$0" --import tsx --input-type=module -e "$1"', process.execPath, script],
      { cwd: repo, env: { ...process.env, FLEET_NIX: '/nonexistent/nix' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, err + out).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { event?: { root: string; message: string }; warning?: { message: string; severity: string } });
    const event = lines.find((l) => l.event)?.event;
    expect(event?.root).toBe(checkout);
    expect(event?.message).toMatch(/limit of watched folders was reached \(ENOSPC\).*max_user_watches/);
    const warning = lines.find((l) => l.warning)?.warning;
    expect(warning?.severity).toBe('warning');
    expect(warning?.message).toMatch(/^Live refresh stopped: the system's limit of watched folders/);
  });
});
