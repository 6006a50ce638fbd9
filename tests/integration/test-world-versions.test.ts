import { execFileSync, spawnSync } from 'node:child_process';
import net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassphraseCache } from '../../src-main/core/ssh/auth';
import { SshConnection } from '../../src-main/core/ssh/connection';
import { hostClosureWithRoot } from '../../src-main/core/closure/listing';
import { nixVersionOf, opensshVersionOf, readManifest, testToolchains, toolchainPaths, type Suite } from '../harness/toolchain/index.js';
import { startDeployWorld, type DeployWorld } from './deploy-world';

// The world each run names is the world it gets: the app's nix, the hosts' sshd and nix-store.
// The same file runs in the Debian 12 suites and in the current-Nix ones (vitest.config.ts),
// so a toolchain that silently fell back to the machine's programs fails here.

async function toolchainTools(suite: Suite) {
  const manifest = await readManifest(toolchainPaths(suite).manifest);
  if (!manifest) throw new Error(`the ${suite} toolchain is not built`);
  return manifest.tools;
}

/** Nix and OpenSSH as installed on this machine (Debian 12's nix-bin and openssh). */
function machineTools() {
  const nix = nixVersionOf(execFileSync('nix', ['--version'], { encoding: 'utf8' }));
  const ssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  return { nix: nix!, openssh: opensshVersionOf(ssh.stderr)! };
}

/** The first line sshd sends: "SSH-2.0-OpenSSH_10.6p1 Debian-1". */
function sshBanner(address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port: 22 });
    let seen = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no ssh banner within 10 s')));
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.includes('\n')) {
        socket.destroy();
        resolve(seen.split(/\r?\n/)[0]!);
      }
    });
    socket.on('error', reject);
  });
}

describe('the test world of this run', () => {
  let world: DeployWorld;
  const wanted = testToolchains();
  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus'] });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it(`the app runs ${wanted.local ? `the ${wanted.local} toolchain's` : "this machine's"} nix`, async () => {
    const expected = wanted.local ? (await toolchainTools(wanted.local)).nix : machineTools().nix;
    const core = world.core();
    const info = (await core.invoke('nix.info', {})) as { found: boolean; version?: string; path?: string };
    expect(info.found).toBe(true);
    expect(info.version).toBe(expected);
    if (wanted.local) expect(info.path).toBe(path.join(toolchainPaths(wanted.local).bin, 'nix'));
  });

  it(`the hosts run ${wanted.hosts ? `the ${wanted.hosts} toolchain's` : "this machine's"} sshd and nix-store, and the app's ssh reaches them`, async () => {
    const expected = wanted.hosts ? await toolchainTools(wanted.hosts) : machineTools();
    const host = world.lab.host('zephyrus');
    expect(await sshBanner(host.address)).toContain(`OpenSSH_${expected.openssh}`);
    const connection = await SshConnection.open({
      host: 'zephyrus',
      home: world.home,
      appKnownHosts: path.join(world.dataDir, 'versions_known_hosts'),
      passphrases: new PassphraseCache(),
      askUnknownKey: async () => false,
    });
    try {
      const store = await connection.exec(['nix-store', '--version']);
      expect(nixVersionOf(store.stdout)).toBe(expected.nix);
      const env = await connection.exec(['nix-env', '--version']);
      expect(nixVersionOf(env.stdout)).toBe(expected.nix);

      // The host's nix lists a closure for the app in the JSON it reads, and without the
      // "'--json' without '--json-format' is deprecated" warning of Nix 2.34.
      const added = await connection.exec(['sh', '-c', 'f=$(mktemp) && echo "$1" > "$f" && nix-store --add "$f"', 'sh', `versions test ${Date.now()}`]);
      const storePath = added.stdout.trim();
      expect(storePath).toMatch(/^\/nix\/store\/[0-9a-z]{32}-tmp\./);
      const stderr: string[] = [];
      const listing = await hostClosureWithRoot(async (argv) => {
        const result = await connection.exec(argv);
        stderr.push(result.stderr);
        return result;
      }, storePath);
      expect(listing.root).toBe(storePath);
      expect(listing.entries).toEqual([{ path: storePath, narSize: expect.any(Number) }]);
      expect(listing.entries[0]!.narSize).toBeGreaterThan(0);
      expect(stderr.join('')).not.toMatch(/deprecated/);
    } finally {
      connection.close();
    }
  });
});
