import * as fs from 'node:fs';
import { isInside, realRoot } from './paths';

/** Why a checkout file was not read, in words that finish "<file> ...". */
export type UnreadReason = 'missing' | 'outside' | 'not-regular' | 'too-big' | 'unreadable';

export type CheckoutFileRead =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: UnreadReason; readonly detail: string };

/** The default cap for a file the scan parses (meta.json, .sops.yaml, secrets.nix). */
export const maxParsedFileBytes = 1024 * 1024;

/**
 * Read a file of the checkout as text, safely for content a stranger may have committed:
 * only a regular file whose real path stays inside the checkout, at most `maxBytes`, and
 * never blocking (a FIFO named meta.json is opened non-blocking and refused after fstat).
 */
export function readCheckoutFile(root: string, file: string, maxBytes = maxParsedFileBytes): CheckoutFileRead {
  let real: string;
  try {
    real = fs.realpathSync.native(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, reason: 'missing', detail: 'does not exist' };
    return { ok: false, reason: 'unreadable', detail: code === 'ELOOP' ? 'is a symlink loop' : `cannot be read (${code ?? 'error'})` };
  }
  if (!isInside(realRoot(root), real)) return { ok: false, reason: 'outside', detail: `is a symlink to ${real}, outside the checkout; it is not read` };
  let fd: number;
  try {
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return { ok: false, reason: 'not-regular', detail: 'is not a regular file (a FIFO, device or folder); it is not read' };
    if (stat.size > maxBytes) {
      return { ok: false, reason: 'too-big', detail: `is ${stat.size} bytes, more than the ${maxBytes} bytes the app reads; it is not read` };
    }
    // Read to the size seen by fstat plus one byte: a file growing while read is cut, never unbounded.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) break;
    }
    if (length > maxBytes) return { ok: false, reason: 'too-big', detail: `grew past the ${maxBytes} bytes the app reads while being read; it is not read` };
    return { ok: true, text: buffer.subarray(0, length).toString('utf8') };
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    fs.closeSync(fd);
  }
}
