/**
 * The services an emulated phone's adbd offers on OPEN: shell:, exec:, sync:, tcp:, root:,
 * reboot:, remount:. Processes run inside the phone (sandbox.ts); their output is written to
 * the stream one WRTE at a time and the child is paused meanwhile (flow control end to end).
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ServiceHandler, StreamEnd } from './transport.js';
import { spawnInPhone, spawnPhoneTcp, type SandboxPaths } from './sandbox.js';

export const SYNC_AGENT_PATH = '/system/lib/adbd-sync.mjs';

/** Output gathered while a WRTE waits for its OKAY; above this the child is paused. */
const PENDING_LIMIT = 1024 * 1024;

/**
 * Pipes a child's output into the stream and stream data into its stdin; closes when both end.
 * Output arriving while a WRTE is in flight is gathered and sent as one (bigger) WRTE next.
 */
function childService(stream: StreamEnd, child: ChildProcess, outputs: readonly Readable[], onClosed: () => void): ServiceHandler {
  let open = outputs.length;
  let exited = false;
  let queued: Buffer[] = [];
  let queuedBytes = 0;
  let writing = false;
  const finish = (): void => { if (open === 0 && exited && !writing && queuedBytes === 0) stream.close(); };
  const flush = (): void => {
    if (writing || queuedBytes === 0) return finish();
    const data = Buffer.concat(queued);
    queued = [];
    queuedBytes = 0;
    writing = true;
    for (const output of outputs) output.resume();
    stream.write(data).then(() => { writing = false; flush(); }, () => child.kill('SIGKILL'));
  };
  return {
    start() {
      for (const output of outputs) {
        output.on('data', (chunk: Buffer) => {
          queued.push(chunk);
          queuedBytes += chunk.length;
          if (queuedBytes > PENDING_LIMIT) output.pause();
          flush();
        });
        output.on('end', () => { open -= 1; finish(); });
      }
      child.on('exit', () => { exited = true; finish(); });
      child.on('error', () => { exited = true; open = 0; finish(); });
      child.stdin?.on('error', () => undefined);
    },
    receive(data) {
      const stdin = child.stdin;
      if (!stdin || stdin.destroyed) return;
      // Ask for more from the host only once the child took this chunk.
      return new Promise<void>((resolve) => { if (stdin.write(data)) resolve(); else stdin.once('drain', resolve); });
    },
    closed() {
      onClosed();
      child.stdin?.destroy();
    },
  };
}

/** Runs `command` with /bin/sh -c as the shell user, stdout and stderr merged as adbd does without shell_v2. */
function shellService(paths: SandboxPaths, stream: StreamEnd, command: string): ServiceHandler {
  const argv = command.trim() === ''
    ? ['/bin/sh', '-c', 'exec 2>&1; exec /bin/sh -i']
    : ['/bin/sh', '-c', 'exec 2>&1; eval "$1"', 'sh', command];
  const child = spawnInPhone(paths, 'shell', argv);
  child.stderr?.resume();
  const hangUp = (): void => {
    // The host closed the stream: adbd closes the command's terminal, which hangs up its group.
    if (child.exitCode === null && child.pid) { try { process.kill(-child.pid, 'SIGHUP'); } catch { /* gone */ } }
  };
  return childService(stream, child, child.stdout ? [child.stdout] : [], hangUp);
}

function syncService(paths: SandboxPaths, stream: StreamEnd): ServiceHandler {
  const child = spawnInPhone(paths, 'shell', ['/usr/bin/node', SYNC_AGENT_PATH]);
  child.stderr?.on('data', () => undefined);
  return childService(stream, child, child.stdout ? [child.stdout] : [], () => child.kill('SIGKILL'));
}

/** Connects to a port of the phone's own network namespace; refuses the OPEN when nothing listens. */
async function tcpService(paths: SandboxPaths, stream: StreamEnd, port: number): Promise<ServiceHandler | null> {
  const child = spawnPhoneTcp(paths, port);
  const connected = await new Promise<boolean>((resolve) => {
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('starting data transfer loop')) resolve(true);
    });
    child.on('exit', () => resolve(false));
    child.on('error', () => resolve(false));
  });
  if (!connected) return null;
  return childService(stream, child, child.stdout ? [child.stdout] : [], () => child.kill('SIGTERM'));
}

/** A service that writes one answer and closes, like adbd's root: on a production build. */
function replyService(stream: StreamEnd, text: string, after?: () => void): ServiceHandler {
  return {
    start() { void stream.write(Buffer.from(text)).finally(() => { stream.close(); after?.(); }); },
    receive() { /* nothing to read */ },
    closed() { /* nothing to free */ },
  };
}

/** What services need from the phone itself. */
export interface PhoneHooks {
  /** `adb reboot`: the link drops, apps die, the phone comes back a little later. */
  reboot(): void;
}

/** Opens the named service, or null (the OPEN is refused with CLSE) when there is none. */
export async function openPhoneService(paths: SandboxPaths, name: string, stream: StreamEnd, hooks: PhoneHooks): Promise<ServiceHandler | null> {
  if (name.startsWith('shell:')) return shellService(paths, stream, name.slice('shell:'.length));
  if (name.startsWith('exec:')) return shellService(paths, stream, name.slice('exec:'.length));
  if (name === 'sync:') return syncService(paths, stream);
  const tcp = /^tcp:(\d+)(?::(?:localhost|127\.0\.0\.1))?$/.exec(name);
  if (tcp) {
    const port = Number(tcp[1]);
    return port > 0 && port < 65536 ? tcpService(paths, stream, port) : null;
  }
  if (name === 'root:') return replyService(stream, 'adbd cannot run as root in production builds\n');
  if (name === 'unroot:') return replyService(stream, 'adbd not running as root\n');
  if (name.startsWith('remount:')) return replyService(stream, 'remount is not supported on user builds\n');
  if (name.startsWith('reboot:')) return replyService(stream, '', () => hooks.reboot());
  return null;
}
