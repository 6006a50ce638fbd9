import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import type { JobContext } from '../jobs/jobs';
import type { TargetProgress } from '../jobs/types';
import type { AdbService } from './adb-service';
import { deviceShell } from './device-shell';
import { packFlakeSource } from './flake-source';
import { activateOnPhone, buildDroidHere, copyToPhone } from './laptop-build';
import { droidProfile, generationOfLink } from './generations';
import { openPhoneSession, type PhoneSession } from './phone-session';
import { pushStream } from './push-source';
import { cancelSwitch, followSwitch, startSwitch, switchRunDir, type FollowResult } from './switch-runner';
import type { DroidDeployResult, PhoneRoute } from './types';

export interface DroidDeployOptions {
  readonly droid: string;
  readonly route: PhoneRoute;
  readonly source: 'head' | 'worktree';
  readonly buildOn?: 'phone' | 'laptop';
  readonly user?: string;
  readonly identityFile?: string;
  /** How long to wait for a phone that went away mid-deploy. */
  readonly reconnectTimeoutMs?: number;
}

/** Unpack a tar (a file on the phone, or "-" for stdin) into the source dir, replacing it whole. */
const unpackScript = `set -e
src=$1; tarball=$2
rm -rf "$src.new"
mkdir -p "$src.new"
tar -xf "$tarball" -C "$src.new"
rm -rf "$src"
mv "$src.new" "$src"
`;

/** The generation the phone's Nix-on-Droid profile points at, if any. */
export async function currentGeneration(session: PhoneSession, signal?: AbortSignal): Promise<number | undefined> {
  const result = await session.run(['readlink', droidProfile], signal);
  if (result.lost) throw new FleetError('device-lost', 'The connection to the phone dropped.');
  return result.code === 0 ? generationOfLink(result.stdout) : undefined;
}

function lastLines(lines: readonly string[], n = 20): string {
  return lines.slice(-n).join('\n');
}

/** Wait for the phone to come back (after an unplug or a dropped Wi-Fi link) and open SSH again. */
export async function reconnectPhone(
  ctx: CoreContext,
  adb: AdbService,
  options: DroidDeployOptions,
  job: JobContext,
): Promise<PhoneSession | undefined> {
  const deadline = Date.now() + (options.reconnectTimeoutMs ?? 120_000);
  const route = options.route;
  const since = Date.now();
  while (Date.now() < deadline && !job.signal.aborted) {
    try {
      if (route.kind === 'adb' && /^[^\s:]+:\d+$/.test(route.serial) && Date.now() - since > 10_000) {
        // adb over TCP: the server retries a dropped link by itself; when the phone left its
        // list altogether, ask it to connect again, as `adb connect` would.
        const [host, port] = route.serial.split(':');
        await (await adb.client()).connect(host as string, Number(port)).catch(() => undefined);
      }
      return await openPhoneSession(ctx, adb, route, login(options), { signal: job.signal, jobId: job.id });
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  return undefined;
}

function login(options: DroidDeployOptions): { user?: string; identityFile?: string } {
  return { ...(options.user ? { user: options.user } : {}), ...(options.identityFile ? { identityFile: options.identityFile } : {}) };
}

/**
 * Deploy a droid: pack the flake source, send it to the phone (adb sync, or ssh for a
 * network phone), unpack it under the app's home, run `nix-on-droid switch --flake` there
 * detached, and follow its log. If the link drops, wait for the phone, then report the
 * generation it really ended with: never success without having seen it.
 */
export async function deployDroid(ctx: CoreContext, adb: AdbService, options: DroidDeployOptions, job: JobContext): Promise<DroidDeployResult> {
  const { droid, route } = options;
  const stages: { name: string; startedAt: number; finishedAt?: number; status: TargetProgress['status'] }[] = [];
  const report = (stage: string, extra: Partial<TargetProgress> = {}, fraction?: number, status: TargetProgress['status'] = 'running') => {
    const last = stages[stages.length - 1];
    if (!last || last.name !== stage) {
      if (last && !last.finishedAt) Object.assign(last, { finishedAt: Date.now(), status: 'succeeded' });
      if (status === 'running') stages.push({ name: stage, startedAt: Date.now(), status: 'running' });
    }
    if (status !== 'running') {
      const open = stages[stages.length - 1];
      if (open && !open.finishedAt) Object.assign(open, { finishedAt: Date.now(), status });
    }
    job.progress({
      ...(fraction !== undefined ? { fraction } : {}),
      label: `${droid}: ${stage}`,
      targets: [{ target: droid, status, stage, stages: stages.map((s) => ({ ...s })), ...extra }],
    });
  };
  try {
    return await deployWith(report);
  } catch (error) {
    report(stages[stages.length - 1]?.name ?? 'connect', { message: error instanceof Error ? error.message.split('\n')[0] : String(error) }, undefined, job.signal.aborted ? 'cancelled' : 'failed');
    throw error;
  }

  async function deployWith(report: (stage: string, extra?: Partial<TargetProgress>, fraction?: number, status?: TargetProgress['status']) => void): Promise<DroidDeployResult> {
    const where = route.kind === 'adb' ? `phone ${route.serial} (adb)` : `${route.host}:${route.port} (ssh)`;

    report('connect', { message: `Connecting to ${where}` }, 0.02);
    job.log(`Connecting to ${where}...`, 'info', droid);
    let session = await openPhoneSession(ctx, adb, route, login(options), { signal: job.signal, jobId: job.id });
    try {
      const before = await currentGeneration(session, job.signal);
      job.log(before === undefined ? 'The phone has no Nix-on-Droid generation yet.' : `The phone is on generation ${before}.`, 'info', droid);

      if (options.buildOn === 'laptop') {
      report('build', { message: 'Building on this computer' }, 0.1);
      const log = (text: string, stream: 'stdout' | 'stderr' | 'info' | 'error') => job.log(text, stream, droid);
      const out = await buildDroidHere(ctx.root(), droid, { env: ctx.env, signal: job.signal, log });
      await copyToPhone(session, out, { env: ctx.env, signal: job.signal, log });
      await activateOnPhone(session, out, { signal: job.signal, log });
      const after = await currentGeneration(session, job.signal);
      job.log(`The phone is now on generation ${after ?? 'none'}.`, 'info', droid);
      report('activate', {}, 1, 'succeeded');
      return { droid, route, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}), revision: 'laptop-build' };
    }

    report('source', { message: 'Packing the flake source' }, 0.05);
      const source = await packFlakeSource(ctx.root(), options.source);
      if (source.warning) job.log(source.warning, 'info', droid);
      job.log(`Flake source: ${source.revision === 'worktree' ? 'working tree' : `revision ${source.revision.slice(0, 12)}`}`, 'info', droid);
      const sourceDir = `.cache/fleet/src/${droid}`;
      const onAbort = () => source.stop();
      job.signal.addEventListener('abort', onAbort, { once: true });
      try {
        if (route.kind === 'adb') {
          const device = await adb.usableDevice(route.serial);
          const tarball = `/data/local/tmp/fleet-${droid}.tar`;
          report('push', { message: 'Sending the flake source over adb' }, 0.1);
          const bytes = await pushStream(device, source.tar, tarball, {
            signal: job.signal,
            onBytes: (done) => report('push', { bytesDone: done, message: 'Sending the flake source over adb' }, 0.1),
          });
          await source.done;
          job.log(`Sent ${(bytes / 1024).toFixed(0)} KiB to ${tarball}.`, 'info', droid);
          report('unpack', {}, 0.15);
          const unpacked = await session.run(['sh', '-c', unpackScript, 'sh', sourceDir, tarball], job.signal);
          await deviceShell(device, ['rm', '-f', tarball], { signal: job.signal }).catch(() => undefined);
          if (unpacked.code !== 0) throw unpackError(unpacked.stderr || unpacked.stdout, unpacked.lost);
        } else {
          report('push', { message: 'Sending the flake source over ssh' }, 0.1);
          const unpacked = await session.connection.exec(['sh', '-c', unpackScript, 'sh', sourceDir, '-'], { signal: job.signal, stdin: source.tar }).then(
            (r) => ({ ...r, lost: false }),
            (error: unknown) => {
              if (error instanceof FleetError && error.code === 'connection-lost') return { code: null, stdout: '', stderr: '', lost: true };
              throw error;
            },
          );
          await source.done;
          if (unpacked.code !== 0) throw unpackError(unpacked.stderr || unpacked.stdout, unpacked.lost);
        }
      } finally {
        job.signal.removeEventListener('abort', onAbort);
      }

      report('switch', { message: 'nix-on-droid switch' }, 0.2);
      const runDir = switchRunDir(droid);
      job.log(`Running nix-on-droid switch --flake <source>#${droid} on the phone...`, 'info', droid);
      const started = await startSwitch(session, runDir, droid, sourceDir);
      const lines: string[] = [];
      let offset = 0;
      let reconnected = false;
      for (let first = true; ; first = false) {
        const followed: FollowResult = first && !started ? { status: null, offset: 0 } : await followSwitch(session, runDir, offset, (line) => {
          lines.push(line);
          if (lines.length > 400) lines.shift();
          job.log(line, 'stdout', droid);
        }, job.signal);
        offset = followed.offset;
        if (job.signal.aborted) {
          job.log('Stopping nix-on-droid switch on the phone...', 'info', droid);
          await cancelSwitch(session, runDir).catch(() => undefined);
          const now = await currentGeneration(session).catch(() => undefined);
          job.log(`After cancelling, the phone is on generation ${now ?? 'none'}.`, 'info', droid);
          throw new FleetError('cancelled', 'Cancelled.');
        }
        if (followed.status !== null) {
          const after = await currentGeneration(session, job.signal);
          if (followed.status === 'lost') {
            throw new FleetError('switch-lost', `nix-on-droid switch stopped on the phone without an exit status; the phone is on generation ${after ?? 'none'}.`);
          }
          if (followed.status !== 0) {
            const tail = lastLines(lines);
            const full = /No space left on device/i.test(tail);
            throw new FleetError(full ? 'disk-full' : 'switch-failed',
              `nix-on-droid switch failed on the phone (exit ${followed.status}); it stays on generation ${after ?? before ?? 'none'}.\n${tail}`,
              full ? { hint: 'The phone is out of space: run `nix-collect-garbage -d` in Nix-on-Droid or free storage, then deploy again.' } : {});
          }
          if (after === undefined || (before !== undefined && after <= before)) {
            // Same closure as before: nix-env keeps the generation; still a success, said plainly.
            job.log(`The configuration did not change; the phone stays on generation ${after ?? 'none'}.`, 'info', droid);
          } else {
            job.log(`The phone is now on generation ${after}${reconnected ? ' (confirmed after reconnecting)' : ''}.`, 'info', droid);
          }
          report('switch', {}, 1, 'succeeded');
          return {
            droid,
            route,
            ...(before !== undefined ? { before } : {}),
            ...(after !== undefined ? { after } : {}),
            revision: source.revision,
            ...(reconnected ? { reconnected } : {}),
          };
        }
        // The link dropped while the switch runs on the phone: wait for it to come back.
        job.log('Lost the connection to the phone in the middle of the switch; waiting for it to come back...', 'error', droid);
        report('reconnect', { message: 'Waiting for the phone to come back' });
        session.close();
        const again = await reconnectPhone(ctx, adb, options, job);
        if (!again) {
          if (job.signal.aborted) throw new FleetError('cancelled', 'Cancelled.');
          throw new FleetError('device-lost', `Lost the phone during the deploy of ${droid} and it did not come back; the outcome is unknown (it was on generation ${before ?? 'none'}).`, {
            hint: `Reconnect the phone and check with \`fleet droid generations ${droid}\`; deploy again if needed.`,
          });
        }
        session = again;
        reconnected = true;
        job.log('Reconnected; reading what the phone did meanwhile...', 'info', droid);
      }
    } finally {
      session.close();
    }
  }
}

function unpackError(output: string, lost: boolean): FleetError {
  if (lost) return new FleetError('device-lost', 'The connection to the phone dropped while unpacking the flake source; nothing was switched.');
  if (/No space left on device/i.test(output)) {
    return new FleetError('disk-full', `The phone's storage is full: ${output.trim().split('\n').slice(-2).join(' ')}`, {
      hint: 'Free space on the phone (or run `nix-collect-garbage -d` in Nix-on-Droid), then deploy again.',
    });
  }
  return new FleetError('unpack-failed', `Could not unpack the flake source on the phone: ${output.trim()}`);
}
