import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

const nixFlags = ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', ''];

// "Let the host substitute from its binary caches first": the host's own nix fetches what
// its caches have, and the app sends only the rest. The cache is a file:// binary cache on
// this machine (the lab hosts reach no network cache), configured in the host's nix.conf.
describe('deploy with substitution on the target', () => {
  let world: DeployWorld;
  let cache: string;
  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus'] });
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-host-cache-'));
  });
  afterAll(async () => {
    await world?.stop();
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('the host fetches the whole closure from its own cache and the app copies nothing', async () => {
    world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', 'networking.hostName = "zephyrus";\n  environment.etc."from-cache".text = "substituted";');
    const attr = '.#nixosConfigurations.zephyrus.config.system.build.toplevel';
    const built = JSON.parse(
      execFileSync('nix', [...nixFlags, 'build', '--json', '--no-link', attr], { cwd: world.checkout, env: world.env, encoding: 'utf8' }),
    ) as { outputs: { out: string } }[];
    const outPath = built[0]!.outputs.out;
    execFileSync('nix', [...nixFlags, 'copy', '--to', `file://${cache}`, outPath], { env: world.env, stdio: 'ignore' });
    const host = world.lab.host('zephyrus');
    const configured = await host.exec(['sh', '-c', `printf '%s\\n' 'substituters = file://${cache}' 'require-sigs = false' >> /etc/nix/nix.conf`]);
    expect(configured.code).toBe(0);

    const { job, record, events } = await world.deploy({ targets: ['zephyrus'], substituteOnTarget: true });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const zephyrus = outcomeOf(record, 'zephyrus');
    expect(zephyrus.copiedPaths).toBe(0);
    expect(await host.currentSystem()).toBe(outPath);
    const log = events.flatMap((e) => (e.type === 'job.log' ? e.lines.map((l) => l.text) : [])).join('\n');
    expect(log).toMatch(/fetch \d+ paths from its binary caches first/);
  });

  it('what the host cache lacks is still sent', async () => {
    world.edit('systems/zephyrus/default.nix', '"substituted";', '"not in any cache";');
    const { job, record } = await world.deploy({ targets: ['zephyrus'], substituteOnTarget: true });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const zephyrus = outcomeOf(record, 'zephyrus');
    expect(zephyrus.copiedPaths).toBeGreaterThan(0);
    expect(await world.lab.host('zephyrus').currentSystem()).toBe(zephyrus.outPath);
  });
});
