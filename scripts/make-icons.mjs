#!/usr/bin/env node
// Draw the tray icons (one per deploy state) and the app icon as PNG files in resources/.
// Pure Node (zlib) so it needs nothing installed; run it again after changing colours.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources');
mkdirSync(out, { recursive: true });

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5, size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b; raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const cover = (d) => Math.max(0, Math.min(1, 0.5 - d)); // anti-aliased edge

// A hexagon (the fleet mark) with a status dot in the corner.
function hexDistance(x, y, cx, cy, r) {
  const dx = Math.abs(x - cx), dy = Math.abs(y - cy);
  return Math.max(dx * 0.866 + dy * 0.5, dy) - r;
}
const status = { idle: [140, 150, 162], running: [61, 111, 224], succeeded: [31, 160, 84], failed: [210, 52, 44] };
for (const [name, [r, g, b]] of Object.entries(status)) {
  writeFileSync(path.join(out, `tray-${name}.png`), png(32, (x, y, s) => {
    const hex = cover(hexDistance(x, y, s * 0.44, s * 0.47, s * 0.36));
    const ring = hex - cover(hexDistance(x, y, s * 0.44, s * 0.47, s * 0.24));
    const dot = cover(Math.hypot(x - s * 0.78, y - s * 0.78) - s * 0.2);
    const dotBorder = cover(Math.hypot(x - s * 0.78, y - s * 0.78) - s * 0.26);
    if (dot > 0) return [r, g, b, Math.round(255 * dot)];
    if (dotBorder > 0) return [0, 0, 0, 0];
    return [96, 104, 116, Math.round(255 * Math.max(0, ring))];
  }));
}
writeFileSync(path.join(out, 'icon.png'), png(256, (x, y, s) => {
  const rr = s * 0.2, half = s * 0.47;
  const qx = Math.max(Math.abs(x - s / 2) - (half - rr), 0), qy = Math.max(Math.abs(y - s / 2) - (half - rr), 0);
  const bg = cover(Math.hypot(qx, qy) - rr);
  const hex = cover(hexDistance(x, y, s / 2, s / 2, s * 0.26)) - cover(hexDistance(x, y, s / 2, s / 2, s * 0.2));
  const t = (x + y) / (2 * s);
  const base = [91 - 30 * t, 140 - 45 * t, 255 - 47 * t];
  const m = Math.max(0, hex);
  return [Math.round(base[0] * (1 - m) + 255 * m), Math.round(base[1] * (1 - m) + 255 * m), Math.round(base[2] * (1 - m) + 255 * m), Math.round(255 * bg)];
}));
console.log(`icons written to ${out}`);
