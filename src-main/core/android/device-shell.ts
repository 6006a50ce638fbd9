import type { DeviceClient } from '@devicefarmer/adbkit';
import { FleetError } from '../contract';
import { parseExitMarker, withExitMarker } from './exit-marker';
import { shCommand } from './shell-quote';

export interface ShellResult {
  readonly output: string;
  readonly code: number;
}

/**
 * Run a command on the phone through adb's shell: service (as the `shell` user) and get
 * its merged output and exit code. argv is quoted; the exit code comes from a marker.
 * A stream that ends before the marker means the phone went away mid-command.
 */
export async function deviceShell(
  device: DeviceClient,
  argv: readonly string[],
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ShellResult> {
  return deviceShellLine(device, shCommand(argv), options);
}

/** Like deviceShell, for a command line already built from quoted parts. */
export async function deviceShellLine(
  device: DeviceClient,
  line: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ShellResult> {
  const marked = withExitMarker(line);
  const stream = await device.shell(marked.command);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new FleetError('timeout', `The phone did not finish "${line.slice(0, 80)}" within ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s.`));
    }, options.timeoutMs ?? 30_000);
    const onAbort = () => {
      stream.destroy();
      reject(new FleetError('cancelled', 'Cancelled.'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const parsed = parseExitMarker(Buffer.concat(chunks).toString('utf8'), marked.token);
  if (parsed.code === null) {
    throw new FleetError('device-lost', `The phone ${device.serial} stopped answering in the middle of a command.`, {
      hint: 'Check the cable or the wireless debugging connection, then try again.',
    });
  }
  return { output: parsed.output, code: parsed.code };
}
