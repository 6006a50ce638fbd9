// The one way sizes (and clock times) are printed, in the CLI, the logs and the UI alike (the
// renderer runs this file too, so it imports nothing).

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Bytes as a person reads them, binary units: "812 B", "248 KiB", "1.5 MiB", "2 MiB", "−3 KiB". */
export function formatBytes(bytes: number): string {
  let n = Math.abs(bytes);
  let u = 0;
  while (n >= 1024 && u < byteUnits.length - 1) {
    n /= 1024;
    u++;
  }
  const digits = u === 0 || n >= 10 ? Math.round(n).toString() : n.toFixed(1).replace(/\.0$/, '');
  return `${bytes < 0 ? '−' : ''}${digits} ${byteUnits[u]}`;
}

/** A size change with its sign: "+248 KiB", "−1.5 MiB", "±0 B". */
export function formatBytesChange(bytes: number): string {
  if (bytes === 0) return '±0 B';
  return bytes > 0 ? `+${formatBytes(bytes)}` : formatBytes(bytes);
}

/** A moment as "HH:MM:SS", local time: what a person compares with their clock. */
export function formatClock(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}
