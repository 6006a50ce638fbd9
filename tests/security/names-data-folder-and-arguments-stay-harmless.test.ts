import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, connectBridge, makeHomelab, runFleet, startServe, stillServes, tempDir } from './world';

/** Every regular file under `dir`, with its content. */
function filesUnder(dir: string): { file: string; text: string }[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name))
    .map((file) => ({ file, text: fs.readFileSync(file, 'latin1') }));
}

describe('names, the data folder and arguments stay harmless', () => {
  afterAll(() => cleanUp());

  it('ANSI escapes and line breaks in folder names are shown escaped on the terminal (issue 13 case 8)', async () => {
    const homelab = makeHomelab({
      'systems/\u001b[31mred\u001b[0m/default.nix': '{ ... }: { }\n',
      'systems/two\nlines/default.nix': '{ ... }: { }\n',
      'systems/\u001b]0;title\u0007/default.nix': '{ ... }: { }\n',
    });
    const run = await runFleet(['--flake', homelab, 'inventory', '--no-eval']);
    expect(run.code).toBe(0);
    const shown = run.stdout + run.stderr;
    expect(shown).not.toContain('\u001b');
    expect(shown).not.toContain('\u0007');
    expect(shown).toContain('\\x1b[31mred\\x1b[0m');
    expect(shown).toContain('two\\x0alines');
    expect(shown.split('\n').some((line) => line.startsWith('lines'))).toBe(false);
  });

  it('a settings.json that is a folder: serve starts, says so, and keeps serving (issue 13 case 8)', async () => {
    const dataDir = tempDir('data');
    fs.mkdirSync(path.join(dataDir, 'settings.json'));
    const served = await startServe({ flake: makeHomelab(), dataDir });
    try {
      expect(served.output()).toMatch(/warning: Settings .*settings\.json.*it is a folder/);
      expect(await stillServes(served)).toBe(true);
      const bridge = await connectBridge(served);
      try {
        expect(await bridge.call('app.info', {})).toMatchObject({ ok: true, result: { settingsProblem: expect.stringContaining('settings.json') } });
        expect(await bridge.call('settings.update', { theme: 'dark' })).toMatchObject({ ok: true, result: { theme: 'dark' } });
        expect(served.alive()).toBe(true);
      } finally {
        bridge.close();
      }
    } finally {
      await served.close();
    }
  });

  it('the data folder holds neither the access token nor a secret typed into a prompt', async () => {
    const served = await startServe({ flake: makeHomelab() });
    const bridge = await connectBridge(served);
    const secret = `sudo-password-${Date.now()}`;
    try {
      await bridge.call('prompts.answer', { id: 'no-such-question', accept: true, value: secret });
      await bridge.call('inventory.get', {});
      await bridge.call('settings.update', { theme: 'light' });
    } finally {
      bridge.close();
      await served.close();
    }
    const files = filesUnder(served.dataDir);
    expect(files.length).toBeGreaterThan(0);
    for (const { file, text } of files) {
      expect(text, file).not.toContain(served.token);
      expect(text, file).not.toContain(secret);
    }
    expect(fs.statSync(served.dataDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(served.dataDir, 'settings.json')).mode & 0o777).toBe(0o600);
  });

  it('arguments meant for ssh, nix and git cannot smuggle options in', async () => {
    const marker = path.join(tempDir('marker'), 'ran');
    const homelab = makeHomelab();
    const served = await startServe({ flake: homelab });
    const bridge = await connectBridge(served);
    try {
      const refused = [
        await bridge.call('git.diff', { path: 'flake.nix', base: `--output=${marker}` }),
        await bridge.call('git.diff', { path: `--output=${marker}` }),
        await bridge.call('git.commit', { message: 'x', paths: ['--exec=touch'] }),
        await bridge.call('changes.affected', { base: '--upload-pack=touch' }),
        await bridge.call('build.targets', { targets: ['--expr'] }),
        await bridge.call('build.targets', { targets: [`.#"\${builtins.readFile /etc/shadow}"`] }),
        await bridge.call('inventory.setDeployTarget', { system: 'web', deploy: { host: `-oProxyCommand=touch ${marker}` } }),
        await bridge.call('inventory.setDeployTarget', { system: 'web', deploy: { host: 'web', user: '-oProxyCommand=x' } }),
        await bridge.call('closure.diff', { machine: 'web', asUser: '-oProxyCommand=x' }),
      ];
      for (const reply of refused) expect(reply, JSON.stringify(reply)).toMatchObject({ ok: false });
      expect(fs.existsSync(marker)).toBe(false);
      expect(fs.readFileSync(path.join(homelab, 'systems/web/default.nix'), 'utf8')).toBe('{ ... }: { }\n');
      expect(fs.existsSync(path.join(homelab, 'systems/web/meta.json'))).toBe(false);
    } finally {
      bridge.close();
      await served.close();
    }
  });
});
