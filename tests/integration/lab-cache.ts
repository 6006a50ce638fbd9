import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DeployWorld } from './deploy-world';

/** The binary cache's signing key, as `cache.set` takes it and hosts trust it. */
export interface LabCacheKey {
  readonly secretKeyFile: string;
  readonly publicKey: string;
}

/**
 * Make the lab host "cache" the hosts' binary cache: a new signing key here, and each of
 * `hosts` trusting it and substituting from ssh://cache (its root gets the lab's key and
 * cache's host key). The world must have started "cache" and be on the lab LAN (joinLan).
 */
export async function trustLabCache(world: DeployWorld, hosts: readonly string[], keyName: string): Promise<LabCacheKey> {
  const keyDir = fs.mkdtempSync(path.join(world.home, 'cache-key-'));
  const secretKeyFile = path.join(keyDir, 'secret');
  execFileSync('nix-store', ['--generate-binary-cache-key', keyName, secretKeyFile, path.join(keyDir, 'public')]);
  const publicKey = fs.readFileSync(path.join(keyDir, 'public'), 'utf8').trim();
  const cacheKey = world.lab.host('cache').hostPublicKey;
  for (const name of hosts) {
    const setup = await world.lab.host(name).exec([
      'sh',
      '-c',
      'set -e; cp "$1" /root/.ssh/id_ed25519; chmod 600 /root/.ssh/id_ed25519; printf "cache %s\\n" "$2" > /root/.ssh/known_hosts; printf "%s\\n" "substituters = ssh://cache" "trusted-public-keys = $3" >> /etc/nix/nix.conf',
      'sh',
      world.lab.identityFile,
      cacheKey,
      publicKey,
    ]);
    if (setup.code !== 0) throw new Error(`${name} could not be set up to use the cache: ${setup.stderr}`);
  }
  return { secretKeyFile, publicKey };
}
