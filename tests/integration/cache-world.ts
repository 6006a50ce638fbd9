import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DeployWorld } from './deploy-world';

/** A signing key for the test cache, made with nix's own tool. */
export interface CacheKey {
  readonly secretKeyFile: string;
  readonly publicKey: string;
}

/** Make the binary cache's signing key in the world's HOME. */
export function makeCacheKey(world: DeployWorld, name = 'fleet-test-cache-1'): CacheKey {
  const dir = fs.mkdtempSync(path.join(world.home, 'cache-key-'));
  execFileSync('nix-store', ['--generate-binary-cache-key', name, path.join(dir, 'secret'), path.join(dir, 'public')]);
  return { secretKeyFile: path.join(dir, 'secret'), publicKey: fs.readFileSync(path.join(dir, 'public'), 'utf8').trim() };
}

/**
 * Let lab hosts substitute from the lab host `cacheHost` (ssh://<cacheHost>): root gets a key
 * the cache accepts and knows its host key; nix.conf lists the cache and trusts its key.
 */
export async function trustCache(world: DeployWorld, names: readonly string[], publicKey: string, cacheHost = 'cache'): Promise<void> {
  const cacheKey = world.lab.host(cacheHost).hostPublicKey;
  for (const name of names) {
    const setup = await world.lab.host(name).exec([
      'sh',
      '-c',
      'set -e; cp "$1" /root/.ssh/id_ed25519; chmod 600 /root/.ssh/id_ed25519; printf "%s %s\\n" "$4" "$2" > /root/.ssh/known_hosts; printf "%s\\n" "substituters = ssh://$4" "trusted-public-keys = $3" >> /etc/nix/nix.conf',
      'sh',
      world.lab.identityFile,
      cacheKey,
      publicKey,
      cacheHost,
    ]);
    if (setup.code !== 0) throw new Error(`${name}: ${setup.stderr}`);
  }
}

/** An ssh-agent holding the lab key, as the admin's: what a build host signs in to targets with. Returns its stop. */
export function startAgent(world: DeployWorld): () => void {
  const socket = path.join(world.home, 'agent.sock');
  const started = execFileSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
  const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
  execFileSync('ssh-add', ['-q', world.lab.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
  world.env.SSH_AUTH_SOCK = socket;
  return () => {
    if (pid) process.kill(pid);
  };
}
