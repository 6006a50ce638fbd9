import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { FleetError } from '../contract';
import { requireNix } from '../nix/runner';
import type { HostSession } from './host-session';
import { ExactReader, addToStoreNarHeader, cmdDumpStorePath, drained, serveMagic1, serveMagic2, serveVersion, str, u64, type NarInfo } from './serve-protocol';

export interface ServeCopyOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly importAsRoot?: boolean;
  readonly onBytes: (count: number) => void;
  readonly onPath: () => void;
}

/**
 * Send `paths` (references first) to the host in one stream: NARs come out of a local
 * `nix-store --serve` (cmdDumpStorePath) and go into the host's `nix-store --serve --write`
 * (cmdAddToStoreNar), over one channel of the deploy's connection. The host acknowledges
 * each path once it is in its store.
 */
export async function serveCopy(session: HostSession, paths: readonly NarInfo[], options: ServeCopyOptions): Promise<void> {
  const alias = session.connection.config.alias;
  const nixStore = path.join(path.dirname(requireNix(options.env)), 'nix-store');
  const local = spawn(nixStore, ['--serve'], { env: options.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let localErr = '';
  local.stderr.setEncoding('utf8');
  local.stderr.on('data', (c: string) => (localErr = (localErr + c).slice(-8192)));
  local.on('error', (e) => (localErr += e.message));
  local.stdin.on('error', () => undefined);
  const killLocal = () => {
    try {
      if (local.pid) process.kill(-local.pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  const argv = ['nix-store', '--serve', '--write'];
  const remote = options.importAsRoot ? await session.spawnAsRoot(argv) : await session.connection.spawn(argv);
  let remoteErr = '';
  remote.stderr.on('data', (c: Buffer) => (remoteErr = (remoteErr + c.toString('utf8')).slice(-8192)));
  remote.on('error', () => undefined);
  const remoteExit = new Promise<number | null>((resolve) => {
    let code: number | null = null;
    remote.on('exit', (c: number | null) => (code = c));
    remote.on('close', () => resolve(code));
  });
  const onAbort = () => {
    killLocal();
    remote.close();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const fromLocal = new ExactReader(local.stdout);
  const fromRemote = new ExactReader(remote);
  const remoteFailure = (what: string) => {
    const why = remoteErr.trim().split('\n').slice(-3).join(' ');
    return new FleetError('copy-failed', `${alias} could not ${what}: ${why || 'the connection was closed'}`, {
      hint: /No space left/i.test(why)
        ? "The host's disk is full: collect garbage there (nix-collect-garbage -d) and deploy again."
        : /trusted|signature|not allowed/i.test(why)
          ? "The login user may not add paths to the host's store: deploy as root, enable sudo for this host, or add the user to trusted-users."
          : undefined,
    });
  };
  try {
    // Handshakes: magic and version out, magic and version back.
    local.stdin.write(Buffer.concat([u64(serveMagic1), u64(serveVersion)]));
    remote.write(Buffer.concat([u64(serveMagic1), u64(serveVersion)]));
    if ((await fromLocal.u64()) !== serveMagic2) throw new FleetError('copy-failed', 'The local nix-store --serve did not answer the handshake.');
    await fromLocal.u64();
    const magic = await fromRemote.u64().catch(() => {
      throw remoteFailure('start nix-store --serve --write');
    });
    if (magic !== serveMagic2) throw remoteFailure('speak the nix serve protocol');
    const remoteVersion = await fromRemote.u64();
    if ((remoteVersion & 0xffn) < 5n) throw new FleetError('copy-failed', `${alias} runs a nix too old for streamed copies (serve protocol ${remoteVersion >> 8n}.${remoteVersion & 0xffn}).`);

    // Ask for every NAR at once: the local side streams them in order as the pipe drains.
    local.stdin.write(Buffer.concat(paths.flatMap((p) => [u64(cmdDumpStorePath), str(p.path)])));
    local.stdin.end();
    const acks = (async () => {
      for (let i = 0; i < paths.length; i++) {
        const ok = await fromRemote.u64().catch(() => {
          throw remoteFailure(`add ${paths[i]!.path}`);
        });
        if (ok !== 1n) throw remoteFailure(`add ${paths[i]!.path}`);
        options.onPath();
      }
    })();
    acks.catch(() => undefined);
    for (const info of paths) {
      if (!remote.write(addToStoreNarHeader(info))) await drained(remote).catch(() => undefined);
      await fromLocal.pipeExactly(info.narSize, remote, options.onBytes).catch(async (error: Error) => {
        await acks; // a failure of the host explains more than a broken pipe
        throw localErr ? new FleetError('copy-failed', `Reading ${info.path} here failed: ${localErr.trim()}`) : error;
      });
    }
    remote.end();
    await acks;
    await remoteExit;
  } catch (error) {
    if (options.signal?.aborted) throw new FleetError('cancelled', 'Cancelled.');
    if (error instanceof FleetError) throw error;
    throw new FleetError('connection-lost', `Lost the connection to ${alias} while copying: ${(error as Error).message}.`);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    killLocal();
    remote.close();
  }
}

/** Paths in an order where every path comes after the paths it references. */
export function referencesFirst(paths: readonly string[], referencesOf: (p: string) => readonly string[]): string[] {
  const wanted = new Set(paths);
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (p: string, depth: number) => {
    if (done.has(p) || depth > 10_000) return;
    done.add(p);
    for (const r of referencesOf(p)) if (wanted.has(r) && r !== p) visit(r, depth + 1);
    out.push(p);
  };
  for (const p of [...paths].sort()) visit(p, 0);
  return out;
}
