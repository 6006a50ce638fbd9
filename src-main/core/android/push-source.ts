import type { DeviceClient } from '@devicefarmer/adbkit';
import type { Readable } from 'node:stream';
import { FleetError } from '../contract';

/**
 * Push a stream to a file on the phone over adb's sync protocol (what `adb push` uses),
 * reporting bytes as they go. A full disk or a permission problem comes back as an error
 * saying so.
 */
export async function pushStream(
  device: DeviceClient,
  content: Readable,
  remotePath: string,
  options: { mode?: number; onBytes?: (bytes: number) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const transfer = await device.push(content, remotePath, options.mode ?? 0o644);
  return await new Promise<number>((resolve, reject) => {
    let bytes = 0;
    const onAbort = () => {
      transfer.cancel();
      reject(new FleetError('cancelled', 'Cancelled.'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    transfer.on('progress', (stats: { bytesTransferred: number }) => {
      bytes = stats.bytesTransferred;
      options.onBytes?.(bytes);
    });
    transfer.on('end', () => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve(bytes);
    });
    transfer.on('error', (error: Error) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (/No space left/i.test(error.message)) {
        reject(new FleetError('disk-full', `The phone's storage is full: ${error.message}`, {
          hint: 'Free space on the phone (or run `nix-collect-garbage -d` in Nix-on-Droid), then deploy again.',
        }));
      } else reject(new FleetError('push-failed', `Sending the flake source to the phone failed: ${error.message}`));
    });
  });
}
