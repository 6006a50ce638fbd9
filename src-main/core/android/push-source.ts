import type { DeviceClient } from '@devicefarmer/adbkit';
import { saysDiskFull } from '../nix/nix-errors';
import { Transform, type Readable } from 'node:stream';
import { FleetError } from '../contract';

/** adbd refuses sync DATA messages over 64 KiB ("oversize data message"). */
export const syncDataMax = 64 * 1024;

/**
 * Re-chunk a byte stream into separate Buffers of at most 64 KiB. adbkit sends whatever
 * `read()` returns as one DATA message, and a byte stream's read() hands back everything
 * buffered; an object-mode stream hands back one chunk at a time.
 */
export function syncChunks(source: Readable): Readable {
  const chunks = new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
      for (let at = 0; at < chunk.length; at += syncDataMax) this.push(chunk.subarray(at, at + syncDataMax));
      done();
    },
  });
  source.on('error', (error) => chunks.destroy(error));
  return source.pipe(chunks);
}

/**
 * Push a stream to a file on the phone over adb's sync protocol (what `adb push` uses),
 * reporting bytes as they go. A full disk or a permission problem comes back as an error
 * saying so.
 */
export async function pushStream(
  device: DeviceClient,
  content: Readable,
  remotePath: string,
  options: { mode?: number; onBytes?: (bytes: number) => void; signal?: AbortSignal; stallTimeoutMs?: number } = {},
): Promise<number> {
  const transfer = await device.push(syncChunks(content), remotePath, options.mode ?? 0o644);
  return await new Promise<number>((resolve, reject) => {
    let bytes = 0;
    // A phone that went away mid-push leaves the sync stream silent: give up after a while.
    const stallMs = options.stallTimeoutMs ?? 30_000;
    let stall = setTimeout(onStall, stallMs);
    function onStall() {
      transfer.cancel();
      options.signal?.removeEventListener('abort', onAbort);
      reject(new FleetError('device-lost', `The phone stopped taking data while receiving ${remotePath} (nothing for ${Math.round(stallMs / 1000)} s).`, {
        hint: 'Check the cable or the wireless debugging connection, then try again.',
      }));
    }
    const onAbort = () => {
      clearTimeout(stall);
      transfer.cancel();
      reject(new FleetError('cancelled', 'Cancelled.'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    transfer.on('progress', (stats: { bytesTransferred: number }) => {
      clearTimeout(stall);
      stall = setTimeout(onStall, stallMs);
      bytes = stats.bytesTransferred;
      options.onBytes?.(bytes);
    });
    transfer.on('end', () => {
      clearTimeout(stall);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(bytes);
    });
    transfer.on('error', (error: Error) => {
      clearTimeout(stall);
      options.signal?.removeEventListener('abort', onAbort);
      if (saysDiskFull(error.message)) {
        reject(new FleetError('disk-full', `The phone's storage is full: ${error.message}`, {
          hint: 'Free space on the phone (or run `nix-collect-garbage -d` in Nix-on-Droid), then deploy again.',
        }));
      } else reject(new FleetError('push-failed', `Sending the flake source to the phone failed: ${error.message}`));
    });
  });
}
