import { FleetError } from '../contract';
import { saysDiskFull } from '../nix/nix-errors';
import type { AdbService } from './adb-service';
import { deviceShell } from './device-shell';
import { packFlakeSource } from './flake-source';
import type { PhoneSession } from './phone-session';
import { pushStream } from './push-source';
import { formatBytes } from '../../shared/units';

/** Unpack a tar (a file on the phone, or "-" for stdin) into the source dir, replacing it whole. */
const unpackScript = `set -e
src=$1; tarball=$2
rm -rf "$src.new"
mkdir -p "$src.new"
tar -xf "$tarball" -C "$src.new"
rm -rf "$src"
mv "$src.new" "$src"
`;

/** Where a droid's flake source lives on the phone, under the app's home. */
export function phoneSourceDir(droid: string): string {
  return `.cache/fleet/src/${droid}`;
}

type Log = (text: string, stream: 'stdout' | 'stderr' | 'info' | 'error') => void;

/**
 * Send the checkout's flake (`head`: git archive of HEAD; `worktree`: the files as they are)
 * to the phone and unpack it into phoneSourceDir: over adb's sync protocol when the phone
 * is on adb (fast, with byte progress), else as the stdin of the unpack over SSH. Returns
 * the revision sent ("worktree" for the working tree).
 */
export async function sendFlakeSource(
  adb: AdbService,
  session: PhoneSession,
  root: string,
  droid: string,
  kind: 'head' | 'worktree',
  options: { signal: AbortSignal; log: Log; onBytes?: (bytes: number) => void },
): Promise<string> {
  const source = await packFlakeSource(root, kind);
  if (source.warning) options.log(source.warning, 'info');
  options.log(`Flake source: ${source.revision === 'worktree' ? 'working tree' : `revision ${source.revision.slice(0, 12)}`}`, 'info');
  const sourceDir = phoneSourceDir(droid);
  const onAbort = () => source.stop();
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const route = session.route;
    if (route.kind === 'adb') {
      const device = await adb.usableDevice(route.serial);
      const tarball = `/data/local/tmp/fleet-${droid}.tar`;
      const bytes = await pushStream(device, source.tar, tarball, { signal: options.signal, ...(options.onBytes ? { onBytes: options.onBytes } : {}) });
      await source.done;
      options.log(`Sent ${formatBytes(bytes)} to ${tarball}.`, 'info');
      const unpacked = await session.run(['sh', '-c', unpackScript, 'sh', sourceDir, tarball], options.signal);
      await deviceShell(device, ['rm', '-f', tarball], { signal: options.signal }).catch(() => undefined);
      if (unpacked.code !== 0) throw unpackError(unpacked.stderr || unpacked.stdout, unpacked.lost);
    } else {
      const unpacked = await session.connection.exec(['sh', '-c', unpackScript, 'sh', sourceDir, '-'], { signal: options.signal, stdin: source.tar }).then(
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
    options.signal.removeEventListener('abort', onAbort);
  }
  return source.revision;
}

function unpackError(output: string, lost: boolean): FleetError {
  if (lost) return new FleetError('device-lost', 'The connection to the phone dropped while unpacking the flake source; nothing was switched.');
  if (saysDiskFull(output)) {
    return new FleetError('disk-full', `The phone's storage is full: ${output.trim().split('\n').slice(-2).join(' ')}`, {
      hint: 'Free space on the phone (or run `nix-collect-garbage -d` in Nix-on-Droid), then deploy again.',
    });
  }
  return new FleetError('unpack-failed', `Could not unpack the flake source on the phone: ${output.trim()}`);
}
