import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src-main/core/core';
import { cleanUp, connectBridge, makeHomelab, startServe, tempDir } from './world';

// Issue 13 case 7, and the "flood of unknown build targets" of case 8.
describe('commands on one connection run in order; evaluations are bounded', () => {
  afterAll(() => cleanUp());

  it('checkout.open then git.diff sent back to back: the diff is of the newly opened checkout', async () => {
    const first = makeHomelab();
    const second = makeHomelab({}, { commitAfter: { 'only-in-second.nix': '# only in the second checkout\n' } });
    const served = await startServe({ flake: first });
    const bridge = await connectBridge(served);
    try {
      const [opened, diff, current] = await bridge.callAll([
        ['checkout.open', { path: second }],
        ['git.diff', { path: 'only-in-second.nix' }],
        ['checkout.current', {}],
      ]);
      expect(opened).toMatchObject({ ok: true, result: { root: second } });
      expect(diff).toMatchObject({ ok: true, result: { patch: expect.stringContaining('+# only in the second checkout') } });
      expect(current).toMatchObject({ ok: true, result: { root: second } });
    } finally {
      bridge.close();
      await served.close();
    }
  });

  it('ten identical "affected, confirmed by nix" requests at once evaluate as much as one (a counting wrapper around the real nix)', async () => {
    const tools = tempDir('nix-wrapper');
    const log = path.join(tools, 'calls.log');
    const wrapper = path.join(tools, 'nix');
    const realNix = ['/usr/bin/nix', '/nix/var/nix/profiles/default/bin/nix'].find((p) => fs.existsSync(p)) ?? 'nix';
    fs.writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${JSON.stringify(log)}\nexec ${realNix} "$@"\n`, { mode: 0o755 });
    const homelab = makeHomelab({}, { commitAfter: { 'systems/web/default.nix': '{ ... }: { networking.hostName = "web"; }\n' } });
    const core = createCore({ host: 'server', dataDir: tempDir('data'), root: homelab, env: { ...process.env, FLEET_NIX: wrapper } });
    const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').length : 0);
    try {
      const one = await core.invokeWire('changes.affected', { confirm: true });
      expect(one.ok).toBe(true);
      const forOne = calls();
      expect(forOne).toBeGreaterThan(0);
      fs.rmSync(log);
      const ten = await Promise.all(Array.from({ length: 10 }, () => core.invokeWire('changes.affected', { confirm: true })));
      // One run answered all ten: the very same result object, and one request's worth of nix calls.
      for (const reply of ten) expect(reply.ok).toBe(true);
      const results = ten.map((reply) => (reply as { ok: true; result: unknown }).result);
      for (const result of results) expect(result).toBe(results[0]);
      expect(calls()).toBeLessThanOrEqual(forOne);
    } finally {
      await core.dispose();
    }
  });

  it('thirty requests for unknown build targets at once share one lookup: three nix evaluations, not ninety (a counting wrapper around the real nix)', async () => {
    const tools = tempDir('nix-wrapper');
    const log = path.join(tools, 'calls.log');
    const wrapper = path.join(tools, 'nix');
    const realNix = ['/usr/bin/nix', '/nix/var/nix/profiles/default/bin/nix'].find((p) => fs.existsSync(p)) ?? 'nix';
    fs.writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${JSON.stringify(log)}\nexec ${realNix} "$@"\n`, { mode: 0o755 });
    const homelab = makeHomelab();
    const core = createCore({ host: 'server', dataDir: tempDir('data'), root: homelab, env: { ...process.env, FLEET_NIX: wrapper } });
    try {
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => core.invokeWire('build.targets', { targets: [`no-such-host-${i}`] })));
      for (const reply of replies) expect(reply).toMatchObject({ ok: false, error: { code: 'not-found' } });
      const evaluations = fs.readFileSync(log, 'utf8').trim().split('\n').filter((line) => / eval /.test(` ${line} `));
      expect(evaluations).toHaveLength(3);
    } finally {
      await core.dispose();
    }
  });
});
