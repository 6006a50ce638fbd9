import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nobody = 65534;

/**
 * Root reads every folder, so an unreadable systems/ entry can only be seen by another
 * user: the scan runs in a child process as `nobody` (CI runs as root).
 */
describe.skipIf(process.getuid?.() !== 0)('scan of a checkout with an unreadable folder (as nobody)', () => {
  it('shows the readable systems and a warning naming the unreadable one', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-int-unreadable-'));
    fs.chmodSync(root, 0o755);
    fs.writeFileSync(path.join(root, 'flake.nix'), '{ outputs = { self }: { }; }\n');
    for (const name of ['ok', 'locked']) {
      fs.mkdirSync(path.join(root, 'systems', name), { recursive: true });
      fs.writeFileSync(path.join(root, 'systems', name, 'default.nix'), '{ }\n');
    }
    fs.chmodSync(path.join(root, 'systems'), 0o755);
    fs.chmodSync(path.join(root, 'systems', 'ok'), 0o755);
    fs.chmodSync(path.join(root, 'systems', 'ok', 'default.nix'), 0o644);
    fs.chmodSync(path.join(root, 'systems', 'locked'), 0o000);
    const scanModule = path.join(repoRoot, 'src-main/core/homelab/scan.ts');
    const code = `const { scanInventory } = await import(${JSON.stringify(scanModule)});
const inv = scanInventory(${JSON.stringify(root)});
process.stdout.write(JSON.stringify({ systems: inv.systems.map((s) => s.name), warnings: inv.warnings.map((w) => w.message) }));`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      uid: nobody,
      gid: nobody,
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, HOME: os.tmpdir() },
    });
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { systems: string[]; warnings: string[] };
    expect(out.systems).toEqual(['ok']);
    expect(out.warnings).toContainEqual('systems/locked/ cannot be read (EACCES); it is ignored.');
    fs.chmodSync(path.join(root, 'systems', 'locked'), 0o755);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
