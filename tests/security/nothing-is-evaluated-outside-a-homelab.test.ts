import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, connectBridge, makeHomelab, rendererDir, runFleet, startServe, tempDir, writeFiles } from './world';

/** The store path nix would give the folder if it copied it as a flake source (computed read-only: nothing is added). */
function storePathIfCopied(dir: string): string {
  const out = spawnSync('nix', ['--extra-experimental-features', 'nix-command flakes', 'eval', '--impure', '--raw', '--read-only', '--expr', `builtins.path { path = ${dir}; name = "source"; }`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`nix eval failed: ${out.stderr}`);
  return out.stdout.trim();
}

// Issue 13 case 4: `fleet inventory` in a folder without flake.nix made nix copy the
// whole folder (a 0600 private key with it) into the world-readable store, exit code 0.
describe('nothing is evaluated outside a folder holding flake.nix', () => {
  afterAll(() => cleanUp());

  it('inventory, build and check in a home-like folder with a private key: a clear error, exit 1, nothing copied to the store', async () => {
    const home = tempDir('home');
    writeFiles(home, { '.ssh/id_ed25519': `-----BEGIN OPENSSH PRIVATE KEY-----\n${path.basename(home)}\n-----END OPENSSH PRIVATE KEY-----\n`, 'notes.txt': 'hello\n' });
    fs.chmodSync(path.join(home, '.ssh/id_ed25519'), 0o600);
    const wouldBe = storePathIfCopied(home);
    for (const args of [['inventory'], ['--flake', home, 'inventory'], ['build', 'web'], ['check']]) {
      const run = await runFleet(args, { cwd: home });
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr, args.join(' ')).toContain('has no flake.nix');
      expect(run.stderr).not.toContain('nix is not installed');
    }
    expect(fs.existsSync(wouldBe)).toBe(false);
  });

  it('--flake / and --flake /proc are refused the same way', async () => {
    for (const dir of ['/', '/proc']) {
      const run = await runFleet(['--flake', dir, 'inventory']);
      expect(run.code, dir).toBe(1);
      expect(run.stderr, dir).toContain(`${dir} has no flake.nix`);
    }
  });

  it('a folder that does not exist is reported as missing, not as "nix is not installed"', async () => {
    const gone = path.join(tempDir('gone'), 'not-here');
    for (const args of [['--flake', gone, 'inventory'], ['--flake', gone, 'build', 'web'], ['--flake', gone, 'serve', '--port', '0', '--renderer', rendererDir()]]) {
      const run = await runFleet(args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toContain(`No folder at ${gone}`);
      expect(run.stderr).not.toMatch(/nix is not installed/i);
    }
  });

  it('the page cannot open a folder without flake.nix as the checkout', async () => {
    const home = tempDir('home');
    writeFiles(home, { '.ssh/id_ed25519': 'secret\n' });
    const served = await startServe({ flake: makeHomelab() });
    const bridge = await connectBridge(served);
    try {
      expect(await bridge.call('checkout.open', { path: home })).toMatchObject({ ok: false, error: { code: 'no-flake' } });
      expect(await bridge.call('checkout.open', { path: '/' })).toMatchObject({ ok: false, error: { code: 'no-flake' } });
      const current = await bridge.call('checkout.current', {});
      expect(current).toMatchObject({ ok: true, result: { hasFlake: true } });
      expect(fs.existsSync(storePathIfCopied(home))).toBe(false);
    } finally {
      bridge.close();
      await served.close();
    }
  });
});
