/**
 * A stand-in for the Nix-on-Droid APK, for the phone EMULATION's `pm install`: a real zip (stored,
 * one entry) whose AndroidManifest.xml holds the package name as UTF-16LE, as in a binary
 * manifest's string pool. The emulated package manager recognises com.termux.nix by that.
 */
import { crc32 } from 'node:zlib';

/** Bytes of an emulated com.termux.nix APK. */
export function emulatedApk(): Buffer {
  const name = Buffer.from('AndroidManifest.xml');
  const data = Buffer.concat([Buffer.from([0x03, 0x00, 0x08, 0x00]), Buffer.from('com.termux.nix', 'utf16le')]);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const centralOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12); end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}
