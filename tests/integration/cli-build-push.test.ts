import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// `fleet cache set` then `fleet build --push` into a file:// binary cache: real nix signs
// the closure with the cache's key and nix copy writes signed narinfos.
describe('fleet build --push', () => {
  let base: string;
  let checkout: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-cli-push-'));
    checkout = path.join(base, 'homelab');
    fs.cpSync(path.join(repoRoot, 'flake'), checkout, { recursive: true, filter: (src) => !/\/result(-\w+)?$/.test(src) });
    const file = path.join(checkout, 'systems/moonlight/default.nix');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('networking.hostName = "moonlight";', `networking.hostName = "moonlight";\n  environment.etc."pushed".text = "${randomBytes(6).toString('hex')}";`));
    for (const args of [['init', '-q'], ['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab']]) execFileSync('git', args, { cwd: checkout });
    execFileSync('nix-store', ['--generate-binary-cache-key', 'fleet-cli-cache-1', path.join(base, 'secret'), path.join(base, 'public')]);
    env = { ...process.env, FLEET_DATA_DIR: path.join(base, 'data'), FLEET_NIX_OPTIONS: 'substituters=' };
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  const fleet = (...args: string[]) => execFileSync(process.execPath, [path.join(repoRoot, 'bin/fleet.js'), '--flake', checkout, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('signs the built closure with the cache key and copies it into the cache', () => {
    const cacheDir = path.join(base, 'cache');
    const shown = fleet('cache', 'set', `file://${cacheDir}`, '--key', path.join(base, 'secret'));
    expect(shown).toContain(`hosts must trust: ${fs.readFileSync(path.join(base, 'public'), 'utf8').trim()}`);
    const out = JSON.parse(fleet('build', 'moonlight', '--push', '--json', '--quiet')) as { result: { targets: { outPath: string }[] } };
    const outPath = out.result.targets[0]!.outPath;
    const narinfo = fs.readFileSync(path.join(cacheDir, `${path.basename(outPath).slice(0, 32)}.narinfo`), 'utf8');
    expect(narinfo).toContain(`StorePath: ${outPath}`);
    expect(narinfo).toMatch(/^Sig: fleet-cli-cache-1:/m);
  });
});
