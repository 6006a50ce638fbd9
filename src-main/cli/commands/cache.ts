import * as path from 'node:path';
import type { Command } from 'commander';
import { FleetError } from '../../core/contract';
import type { CacheInfo, HostCacheTrust } from '../../core/deploy/contract';
import { withSession } from '../core-session';
import { runJob } from '../follow-job';
import { printError, printJson, terminalText } from '../output';

/** `fleet cache`: the homelab's binary cache: set it, push to it, and which hosts trust it. */
export function registerCache(program: Command): void {
  const cache = program
    .command('cache')
    .description("show the checkout's binary cache and the public key hosts must trust")
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withSession(command, async (session) => {
        const info = (await session.call('cache.get', {})) as CacheInfo | null;
        if (opts.json) return printJson(info);
        process.stdout.write(info ? describe(info) : 'no binary cache set (fleet cache set <url> --key <secret key file>)\n');
      });
    });
  cache
    .command('set <url>')
    .description('set the binary cache: file:///path, ssh://[user@]host or s3://bucket, signed with --key (`none` clears it)')
    .option('--key <file>', 'secret signing key (nix-store --generate-binary-cache-key NAME secret public)')
    .action(async (url: string, opts: { key?: string }, command: Command) => {
      await withSession(command, async (session) => {
        const info = (await session.call('cache.set', { url: url === 'none' ? null : url, ...(opts.key ? { secretKeyFile: path.resolve(opts.key) } : {}) })) as CacheInfo | null;
        process.stdout.write(info ? describe(info) : 'binary cache cleared\n');
      });
    });
  cache
    .command('push <paths...>')
    .description('sign store paths (with their closures) and copy them to the binary cache')
    .action(async (paths: string[], _opts: unknown, command: Command) => {
      await withSession(command, async (session) => {
        process.exitCode = await pushPaths(session.core, paths);
      });
    });
  cache
    .command('trust [targets...]')
    .description("per host: does it trust the cache's key and substitute from it?")
    .option('--json', 'print as JSON')
    .action(async (targets: string[], opts: { json?: boolean }, command: Command) => {
      await withSession(command, async (session) => {
        const hosts = (await session.call('cache.trust', { targets })) as HostCacheTrust[];
        if (opts.json) return printJson(hosts);
        for (const h of hosts) {
          const state = !h.online
            ? `unreachable (${h.error ?? '?'})`
            : h.trustsKey && h.usesCache
              ? 'substitutes from the cache'
              : [h.trustsKey ? '' : 'does not trust the key', h.usesCache ? '' : 'does not list the cache as a substituter'].filter(Boolean).join(', ') + ': gets everything from here';
          process.stdout.write(`${terminalText(h.target)}  ${terminalText(state)}\n`);
        }
      });
    });
}

/** Run cache.push for store paths (in `buildHost`'s store, or here) and follow it; returns the exit code. */
export async function pushPaths(core: Parameters<typeof runJob>[0], paths: readonly string[], buildHost?: string): Promise<number> {
  const info = await runJob(core, 'cache.push', { paths, ...(buildHost ? { buildHost } : {}) }, { showLog: true });
  if (info.status === 'succeeded') {
    process.stderr.write(`pushed ${paths.length} closure${paths.length === 1 ? '' : 's'}${buildHost ? ` from ${terminalText(buildHost)}` : ''} to the binary cache\n`);
    return 0;
  }
  if (info.error) printError(FleetError.fromWire(info.error));
  return 1;
}

function describe(info: CacheInfo): string {
  return `url: ${terminalText(info.url)}\nsigning key: ${terminalText(info.secretKeyFile)}\nhosts must trust: ${terminalText(info.publicKey)}\n  (NixOS: nix.settings.trusted-public-keys = [ "${terminalText(info.publicKey)}" ]; and the URL in nix.settings.substituters)\n`;
}
