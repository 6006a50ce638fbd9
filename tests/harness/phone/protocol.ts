/**
 * The ADB transport protocol as the device side of it sees it (emulation of a phone's adbd).
 *
 * Every message is a 24-byte little-endian header (command, arg0, arg1, data length, data
 * checksum, command ^ 0xffffffff) followed by the data. See AOSP system/core/adb/protocol.txt.
 */

export const A_SYNC = 0x434e5953;
export const A_CNXN = 0x4e584e43;
export const A_AUTH = 0x48545541;
export const A_OPEN = 0x4e45504f;
export const A_OKAY = 0x59414b4f;
export const A_CLSE = 0x45534c43;
export const A_WRTE = 0x45545257;
export const A_STLS = 0x534c5453;

/** Version with "skip checksum": adb 1.0.41 sends it and ignores the checksum field then. */
export const A_VERSION = 0x01000001;
/** Real adbd (Android 9+) accepts payloads up to 1 MiB. */
export const MAX_PAYLOAD = 1024 * 1024;

export const AUTH_TOKEN = 1;
export const AUTH_SIGNATURE = 2;
export const AUTH_RSAPUBLICKEY = 3;

export interface Message {
  readonly command: number;
  readonly arg0: number;
  readonly arg1: number;
  readonly data: Buffer;
}

const NAMES: Readonly<Record<number, string>> = {
  [A_SYNC]: 'SYNC', [A_CNXN]: 'CNXN', [A_AUTH]: 'AUTH', [A_OPEN]: 'OPEN',
  [A_OKAY]: 'OKAY', [A_CLSE]: 'CLSE', [A_WRTE]: 'WRTE', [A_STLS]: 'STLS',
};

/** Four-letter name of a command, for logs. */
export function commandName(command: number): string {
  return NAMES[command] ?? `0x${command.toString(16)}`;
}

/** Sum of the data bytes: the (legacy) checksum older hosts still verify. */
function checksum(data: Buffer): number {
  let sum = 0;
  for (const byte of data) sum = (sum + byte) >>> 0;
  return sum;
}

/** One message as bytes on the wire. */
export function encodeMessage(command: number, arg0: number, arg1: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(command >>> 0, 0);
  header.writeUInt32LE(arg0 >>> 0, 4);
  header.writeUInt32LE(arg1 >>> 0, 8);
  header.writeUInt32LE(data.length, 12);
  header.writeUInt32LE(checksum(data), 16);
  header.writeUInt32LE((command ^ 0xffffffff) >>> 0, 20);
  return Buffer.concat([header, data]);
}

/** Splits a TCP byte stream into messages; throws on a corrupt header (the caller drops the link). */
export class MessageReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** Adds bytes from the socket and returns every message completed by them. */
  push(chunk: Buffer): Message[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Message[] = [];
    while (this.buffered.length >= 24) {
      const command = this.buffered.readUInt32LE(0);
      const magic = this.buffered.readUInt32LE(20);
      if (((command ^ 0xffffffff) >>> 0) !== magic) throw new Error(`bad ADB message magic for ${commandName(command)}`);
      const length = this.buffered.readUInt32LE(12);
      if (length > MAX_PAYLOAD) throw new Error(`ADB message of ${length} bytes exceeds the maximum payload`);
      if (this.buffered.length < 24 + length) break;
      messages.push({
        command,
        arg0: this.buffered.readUInt32LE(4),
        arg1: this.buffered.readUInt32LE(8),
        data: Buffer.from(this.buffered.subarray(24, 24 + length)),
      });
      this.buffered = this.buffered.subarray(24 + length);
    }
    return messages;
  }
}
