/**
 * The `sync:` service of the phone EMULATION, run INSIDE the phone as the shell user (uid 2000)
 * with the stream on stdin/stdout, so Android's permissions and the phone's own paths apply
 * exactly as for adbd's file_sync_service. Transpiled to plain JS when a phone is created;
 * imports only node: builtins.
 *
 * Requests: id(4) + u32 length + path. STAT and LIST use lstat like adbd; STA2/LST2 (stat_v2,
 * which adbkit's stat64 sends even though the banner does not advertise it) are answered too. SEND carries
 * "path,mode" then DATA chunks and DONE(mtime); RECV answers DATA chunks and DONE. A failure
 * answers FAIL + message (as adbd: "<what>: <strerror>") and ends the session.
 */
import { openSync, writeSync, closeSync, readSync, lstatSync, statSync, readdirSync, mkdirSync, unlinkSync, utimesSync, symlinkSync } from 'node:fs';
import { dirname } from 'node:path';

const SYNC_DATA_MAX = 64 * 1024;
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory', EACCES: 'Permission denied', EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory', ENOSPC: 'No space left on device', EROFS: 'Read-only file system', EINVAL: 'Invalid argument',
  EEXIST: 'File exists', EPERM: 'Operation not permitted', ENAMETOOLONG: 'File name too long',
};

class Input {
  private buffer = Buffer.alloc(1 << 20);
  private start = 0;
  private end = 0;

  /** Reads exactly n bytes from stdin; null at EOF. */
  read(n: number): Buffer | null {
    while (this.end - this.start < n) {
      if (this.start > 0) { this.buffer.copy(this.buffer, 0, this.start, this.end); this.end -= this.start; this.start = 0; }
      if (this.buffer.length < n) { const bigger = Buffer.alloc(n * 2); this.buffer.copy(bigger, 0, 0, this.end); this.buffer = bigger; }
      let got: number;
      try { got = readSync(0, this.buffer, this.end, this.buffer.length - this.end, null); } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        return null;
      }
      if (got === 0) return null;
      this.end += got;
    }
    const out = this.buffer.subarray(this.start, this.start + n);
    this.start += n;
    return Buffer.from(out);
  }
}

function send(data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    try { offset += writeSync(1, data, offset); } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

function header(id: string, ...values: number[]): Buffer {
  const out = Buffer.alloc(4 + values.length * 4);
  out.write(id, 0, 'latin1');
  values.forEach((v, i) => out.writeUInt32LE(v >>> 0, 4 + i * 4));
  return out;
}

function failPlain(text: string): void {
  const message = Buffer.from(text);
  send(Buffer.concat([header('FAIL', message.length), message]));
}

function fail(what: string, error: unknown): void {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  failPlain(`${what}: ${STRERROR[code] ?? code}`);
}

function stat(path: string): void {
  try {
    const st = lstatSync(path);
    send(header('STAT', st.mode, Math.min(st.size, 0xffffffff), Math.floor(st.mtimeMs / 1000)));
  } catch {
    send(header('STAT', 0, 0, 0));
  }
}

/** STA2 (stat) / LST2 (lstat): adb's stat_v2, 64-bit fields and an errno instead of zeros. */
function statV2(id: 'STA2' | 'LST2', path: string): void {
  const out = Buffer.alloc(72);
  out.write(id, 0, 'latin1');
  try {
    const st = id === 'STA2' ? statSync(path, { bigint: true }) : lstatSync(path, { bigint: true });
    out.writeBigUInt64LE(st.dev, 8);
    out.writeBigUInt64LE(st.ino, 16);
    out.writeUInt32LE(Number(st.mode), 24);
    out.writeUInt32LE(Number(st.nlink), 28);
    out.writeUInt32LE(Number(st.uid), 32);
    out.writeUInt32LE(Number(st.gid), 36);
    out.writeBigUInt64LE(st.size, 40);
    out.writeBigInt64LE(st.atimeMs / 1000n, 48);
    out.writeBigInt64LE(st.mtimeMs / 1000n, 56);
    out.writeBigInt64LE(st.ctimeMs / 1000n, 64);
  } catch (error) {
    out.writeUInt32LE(Math.abs((error as NodeJS.ErrnoException).errno ?? 2), 4);
  }
  send(out);
}

function list(path: string): void {
  let names: string[];
  try { names = ['.', '..', ...readdirSync(path)]; } catch { names = []; }
  for (const name of names) {
    try {
      const st = lstatSync(`${path}/${name}`);
      const encoded = Buffer.from(name);
      send(Buffer.concat([header('DENT', st.mode, Math.min(st.size, 0xffffffff), Math.floor(st.mtimeMs / 1000), encoded.length), encoded]));
    } catch { /* vanished or unreadable: adbd skips it too */ }
  }
  send(header('DONE', 0, 0, 0, 0));
}

/** Skips DATA chunks until DONE after a failure, as adbd does so the host notices the FAIL. */
function drain(input: Input): void {
  for (;;) {
    const head = input.read(8);
    if (!head || head.toString('latin1', 0, 4) !== 'DATA') return;
    if (!input.read(head.readUInt32LE(4))) return;
  }
}

/** Writes all of data; a short write (disk full) is retried so the next write reports ENOSPC. */
function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset);
}

function receiveFile(input: Input, spec: string): boolean {
  const comma = spec.lastIndexOf(',');
  const path = comma >= 0 ? spec.slice(0, comma) : spec;
  const mode = comma >= 0 ? Number.parseInt(spec.slice(comma + 1), 10) : 0o644;
  const isLink = (mode & 0o170000) === 0o120000;
  const chunks: Buffer[] = [];
  let fd = -1;
  if (!isLink) {
    try { mkdirSync(dirname(path), { recursive: true }); } catch { /* open reports it */ }
    try {
      try { unlinkSync(path); } catch { /* absent */ }
      fd = openSync(path, 'w', mode & 0o777);
    } catch (error) {
      fail('couldn\'t create file', error);
      drain(input);
      return false;
    }
  }
  for (;;) {
    const head = input.read(8);
    if (!head) { if (fd >= 0) closeSync(fd); return false; }
    const id = head.toString('latin1', 0, 4);
    const size = head.readUInt32LE(4);
    if (id === 'DATA') {
      if (size > SYNC_DATA_MAX) {
        // adbd's buffer is SYNC_DATA_MAX: bigger DATA messages fail on a real phone too.
        if (fd >= 0) { closeSync(fd); unlinkSync(path); }
        failPlain('oversize data message');
        return false;
      }
      const data = input.read(size);
      if (!data) return false;
      if (isLink) { chunks.push(data); continue; }
      try { writeAll(fd, data); } catch (error) {
        closeSync(fd); unlinkSync(path); fail('write failed', error); drain(input); return false;
      }
    } else if (id === 'DONE') {
      try {
        if (isLink) symlinkSync(Buffer.concat(chunks).toString().replace(/\0+$/, ''), path); // the host sends the target NUL-terminated
        else { closeSync(fd); utimesSync(path, size, size); }
      } catch (error) { fail('couldn\'t create file', error); return false; }
      send(header('OKAY', 0));
      return true;
    } else {
      if (fd >= 0) closeSync(fd);
      failPlain('invalid data message');
      return false;
    }
  }
}

function sendFile(path: string): boolean {
  let fd: number;
  // adbd opens the path, so a symlink sends its target's content.
  try {
    fd = openSync(path, 'r');
  } catch (error) { fail('open failed', error); return false; }
  const buffer = Buffer.alloc(SYNC_DATA_MAX);
  try {
    for (;;) {
      const got = readSync(fd, buffer, 0, SYNC_DATA_MAX, null);
      if (got === 0) break;
      send(Buffer.concat([header('DATA', got), buffer.subarray(0, got)]));
    }
  } catch (error) { closeSync(fd); fail('read failed', error); return false; }
  closeSync(fd);
  send(header('DONE', 0));
  return true;
}

function serve(): void {
  const input = new Input();
  for (;;) {
    const head = input.read(8);
    if (!head) return;
    const id = head.toString('latin1', 0, 4);
    const length = head.readUInt32LE(4);
    if (id === 'QUIT') return;
    if (length > 1024) { failPlain('path too long'); return; }
    const arg = input.read(length);
    if (!arg) return;
    const path = arg.toString('utf8');
    switch (id) {
      case 'STAT': stat(path); break;
      case 'STA2': case 'LST2': statV2(id, path); break;
      case 'LIST': list(path); break;
      case 'SEND': if (!receiveFile(input, path)) return; break;
      case 'RECV': if (!sendFile(path)) return; break;
      default:
        failPlain(`unknown command ${head.readUInt32LE(0).toString(16).padStart(8, '0')}`);
        return;
    }
  }
}

serve();
