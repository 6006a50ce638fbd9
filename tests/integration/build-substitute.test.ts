import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../src-main/core/nix/build';
import { parseBuildJson } from '../../src-main/core/nix/build';
import { runNix } from '../../src-main/core/nix/runner';
import { bumpKernel, copyHomelab, openCore, runJob, testEnv } from './build-homelab';

const toplevel = '.#nixosConfigurations.moonlight.config.system.build.toplevel';

async function nix(args: string[], cwd: string): Promise<string> {
  const r = await runNix(args, { cwd, env: testEnv });
  if (r.code !== 0) throw new Error(`nix ${args.join(' ')} failed: ${r.stderr.slice(-800)}`);
  return r.stdout;
}

async function closure(outPath: string, cwd: string): Promise<string[]> {
  return (await nix(['path-info', '-r', outPath], cwd)).split('\n').filter(Boolean);
}

// Downloads: a real file:// binary cache holding moonlight's new paths, removed from the
// store, so the build substitutes them (copy-path activities with bytes) instead of building.
describe('a build that downloads from a binary cache', () => {
  const cleanup: string[] = [];
  afterAll(() => {
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts the paths and bytes it fetched and builds nothing', async () => {
    const baseline = copyHomelab();
    const root = copyHomelab(bumpKernel);
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-cache-'));
    cleanup.push(baseline, root, cache);
    const out = parseBuildJson(await nix(['build', '--json', '--no-link', toplevel], root))[0]!.outPath!;
    const before = new Set(await closure(parseBuildJson(await nix(['build', '--json', '--no-link', toplevel], baseline))[0]!.outPath!, baseline));
    // Only paths this test made (a random kernel version, this copy's revision) leave the store.
    const fresh = (await closure(out, root)).filter((p) => !before.has(p));
    expect(fresh.length).toBeGreaterThanOrEqual(3);
    await nix(['copy', '--to', `file://${cache}`, out], root);
    await nix(['store', 'delete', ...fresh], root);
    expect(fs.existsSync(out)).toBe(false);

    const session = openCore(root, { ...testEnv, FLEET_NIX_OPTIONS: `substituters=file://${cache}; require-sigs=false` });
    try {
      const info = await runJob(session, 'build.start', { targets: ['moonlight'] });
      expect(info.error).toBeUndefined();
      const result = (info.result as BuildResult).targets[0]!;
      expect(result.outPath).toBe(out);
      expect(result.built).toBe(0);
      const last = info.progress!;
      expect(last.downloads).toMatchObject({ done: fresh.length, total: fresh.length });
      expect(last.downloads!.bytesTotal).toBeGreaterThan(0);
      expect(last.downloads!.bytesDone).toBe(last.downloads!.bytesTotal);
      expect(last.targets![0]).toMatchObject({ downloadsDone: fresh.length, downloadsTotal: fresh.length, status: 'succeeded' });
      const log = fs.readFileSync(info.logFile, 'utf8');
      expect(log).toMatch(/^\[moonlight\] fetching linux-6\.6\.\d+$/m);
    } finally {
      await session.close();
    }
  });
});
