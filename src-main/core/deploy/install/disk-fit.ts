/**
 * Whether a disk is large enough for a disko GPT layout, checked before anything is erased:
 * disko wipes the disk first and only then finds out that a partition does not fit.
 */

const MiB = 1024 ** 2;
const units: Readonly<Record<string, number>> = { '': 1, K: 1024, M: MiB, G: 1024 ** 3, T: 1024 ** 4 };

/** Bytes of a disko partition size as sgdisk reads it ("512M", "1G", "1.5G"); 'rest' for "100%"; null for what this check does not know. */
export function diskoSizeBytes(size: string): number | 'rest' | null {
  if (size === '100%') return 'rest';
  const match = /^(\d+(?:\.\d+)?)([KMGT]?)i?B?$/i.exec(size.trim());
  if (!match) return null;
  return Math.ceil(Number(match[1]) * (units[(match[2] ?? '').toUpperCase()] ?? 1));
}

/**
 * The least a disk needs for these partitions (name -> disko size): 1 MiB before the first
 * (sgdisk aligns to 2048 sectors), each fixed partition rounded up to whole MiB, at least 1 MiB
 * for each that takes the rest, and the backup GPT at the end. Null when a size is not one
 * this check reads (then the install does not guess).
 */
export function layoutNeedsBytes(partitions: Readonly<Record<string, string>>): number | null {
  let need = MiB + 33 * 512;
  for (const size of Object.values(partitions)) {
    const bytes = diskoSizeBytes(size);
    if (bytes === null) return null;
    need += bytes === 'rest' ? MiB : Math.ceil(bytes / MiB) * MiB;
  }
  return need;
}
